package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage to RocksDB's own files (a flipped bit in the write-ahead log or in an SST file, a
 * truncated file) is found when the node starts, and reported with the file, never served.
 */
class CorruptFilesTest {
  @TempDir Path dir;

  private static final int ENTRIES = 200;

  private void writeLog(boolean flush) {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      for (int i = 1; i <= ENTRIES; i++) {
        byte[] data = ("entry-" + i + "-" + "x".repeat(200)).getBytes();
        storage.save(
            null, List.of(new Entry(1, i, EntryType.NORMAL, data)), new HardState(1, 1, i), true);
      }
      if (flush) {
        storage.compactAll();
      }
    }
  }

  private Path largest(String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(suffix))
          .max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow(() -> new AssertionError("no " + suffix + " file in " + dir));
    }
  }

  private static void flipByteAt(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x10);
    }
  }

  private void openAndLoad() {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      storage.load();
    }
  }

  @Test
  void flippedBitInTheWriteAheadLogStopsStartUp() throws IOException {
    writeLog(false);
    Path wal = largest(".log");
    flipByteAt(wal, wal.toFile().length() / 2);

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft storage at " + dir + " is corrupt")
        .hasMessageContaining("checksum mismatch");
  }

  @Test
  void tornLastRecordOfTheWriteAheadLogIsTolerated() throws IOException {
    writeLog(false);
    Path wal = largest(".log");
    try (RandomAccessFile f = new RandomAccessFile(wal.toFile(), "rw")) {
      f.setLength(f.length() - 10); // a crash tore the last write
    }

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      assertThat(storage.load().entries()).hasSize(ENTRIES - 1);
    }
  }

  @Test
  void flippedBitInAnSstFileStopsStartUp() throws IOException {
    writeLog(true);
    Path sst = largest(".sst");
    flipByteAt(sst, sst.toFile().length() / 3);

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(sst.getFileName().toString());
  }

  @Test
  void flippedBitInTheKeyValueDataStopsStartUp() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      for (int i = 0; i < ENTRIES; i++) {
        storage
            .db()
            .put(storage.kvDataFamily(), ("key-" + i).getBytes(), "v".repeat(200).getBytes());
      }
      storage.compactAll();
    }
    Path sst = largest(".sst");
    flipByteAt(sst, sst.toFile().length() / 3);

    // Not read by loading the log: the check at open finds it.
    assertThatThrownBy(() -> RocksDbRaftStorage.open(dir).close())
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(sst.getFileName().toString());
  }

  @Test
  void truncatedSstFileStopsStartUp() throws IOException {
    writeLog(true);
    Path sst = largest(".sst");
    try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(sst.getFileName().toString());
  }

  @Test
  void intactFilesOpen() {
    writeLog(true);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      assertThat(storage.load().entries()).hasSize(ENTRIES);
    }
  }
}
