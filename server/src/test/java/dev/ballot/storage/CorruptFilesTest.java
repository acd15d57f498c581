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
 * Damage to the node's files (a flipped bit in the Raft log's segment files or in an SST file, a
 * truncated file) is found when the node starts, and reported with the file, never served; a write
 * torn by a crash at the end of the log is not damage.
 */
class CorruptFilesTest {
  @TempDir Path dir;

  private static final int ENTRIES = 200;

  private void writeLog() {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      for (int i = 1; i <= ENTRIES; i++) {
        byte[] data = ("entry-" + i + "-" + "x".repeat(200)).getBytes();
        storage.save(
            null, List.of(new Entry(1, i, EntryType.NORMAL, data)), new HardState(1, 1, i), true);
      }
    }
  }

  private void writeTables() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      for (int i = 0; i < ENTRIES; i++) {
        storage
            .db()
            .put(storage.kvDataFamily(), ("key-" + i).getBytes(), "v".repeat(200).getBytes());
      }
      storage.compactAll();
    }
  }

  private Path segment() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve(RocksDbRaftStorage.LOG_DIR))) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".seg"))
          .max(Comparator.naturalOrder())
          .orElseThrow(() -> new AssertionError("no segment in " + dir));
    }
  }

  /** The offset just past the last byte that is not zero. */
  private static long endOfData(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    return end;
  }

  private static void zero(Path file, long from, long to) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(from);
      f.write(new byte[(int) (to - from)]);
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
  void flippedBitInTheRaftLogStopsStartUp() throws IOException {
    writeLog();
    Path segment = segment();
    flipByteAt(segment, endOfData(segment) / 2);

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("checksum mismatch");
  }

  @Test
  void tornLastWriteOfTheRaftLogIsTolerated() throws IOException {
    writeLog();
    Path segment = segment();
    long end = endOfData(segment);
    zero(segment, (end - 1) / 512 * 512, end); // the last sector never reached the disk

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      List<Entry> entries = storage.load().entries();
      assertThat(entries.size()).isBetween(ENTRIES - 3, ENTRIES - 1);
      assertThat(entries.get(entries.size() - 1).index()).isEqualTo(entries.size());
    }
  }

  @Test
  void recordsAfterATornOneNeverComeBack() throws IOException {
    writeLog();
    Path segment = segment();
    long end = endOfData(segment);
    // A sector a few records before the end was lost; the records after it reached the disk.
    long lost = (end - 2000) / 512 * 512;
    zero(segment, lost, lost + 512);
    long kept;
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      kept = storage.load().entries().size();
      assertThat(kept).isLessThan(ENTRIES - 3);
      // Nothing of what followed the torn record is left on disk to be read later.
      assertThat(endOfData(segment)).isLessThanOrEqualTo(lost);
      // The node goes on with other entries at the same indexes, then crashes again.
      storage.save(
          null,
          List.of(new Entry(2, kept + 1, EntryType.NORMAL, "after".getBytes())),
          new HardState(2, 1, kept),
          true);
    }

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      List<Entry> entries = storage.load().entries();
      assertThat(entries).hasSize((int) kept + 1);
      assertThat(entries.get((int) kept).term()).isEqualTo(2);
      assertThat(storage.load().hardState()).isEqualTo(new HardState(2, 1, kept));
    }
  }

  @Test
  void flippedBitInAnSstFileStopsStartUp() throws Exception {
    writeTables(); // the state machine's data, which loading the log does not read
    Path sst = largest(".sst");
    flipByteAt(sst, sst.toFile().length() / 3);

    // The check at open finds it.
    assertThatThrownBy(() -> RocksDbRaftStorage.open(dir).close())
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(sst.getFileName().toString());
  }

  @Test
  void truncatedSstFileStopsStartUp() throws Exception {
    writeTables();
    Path sst = largest(".sst");
    try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(sst.getFileName().toString());
  }

  @Test
  void intactFilesOpen() throws Exception {
    writeLog();
    writeTables();
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      assertThat(storage.load().entries()).hasSize(ENTRIES);
    }
  }
}
