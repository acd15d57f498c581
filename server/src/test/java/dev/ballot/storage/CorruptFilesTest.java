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
            .put(storage.kvFamilies().data(), ("key-" + i).getBytes(), "v".repeat(200).getBytes());
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
  void whatATornLastWriteLeftNeverComesBack() throws IOException {
    writeLog();
    Path segment = segment();
    long start = endOfData(segment);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      byte[] big = ("last-" + "y".repeat(3000)).getBytes();
      storage.save(
          null,
          List.of(new Entry(1, ENTRIES + 1, EntryType.NORMAL, big)),
          new HardState(1, 1, ENTRIES),
          true);
    }
    // The crash tore that last write: its first sector never reached the disk, the rest did.
    long first = (start + 511) / 512 * 512;
    zero(segment, first, first + 512);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      assertThat(storage.load().entries()).hasSize(ENTRIES);
      // Nothing of the torn write is left on disk to be read later.
      assertThat(endOfData(segment)).isLessThanOrEqualTo(first);
      // The node goes on with another entry at that index, then crashes again.
      storage.save(
          null,
          List.of(new Entry(2, ENTRIES + 1, EntryType.NORMAL, "after".getBytes())),
          new HardState(2, 1, ENTRIES),
          true);
    }

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      List<Entry> entries = storage.load().entries();
      assertThat(entries).hasSize(ENTRIES + 1);
      assertThat(entries.get(ENTRIES).term()).isEqualTo(2);
      assertThat(storage.load().hardState()).isEqualTo(new HardState(2, 1, ENTRIES));
    }
  }

  @Test
  void aLostSectorBeforeRecordsThatWereSyncedStopsStartUp() throws IOException {
    writeLog();
    Path segment = segment();
    // Every write is synced before the next: valid records after the damage prove it is not a
    // torn last write, so nothing is discarded.
    long lost = (endOfData(segment) - 2000) / 512 * 512;
    zero(segment, lost, lost + 512);

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(segment.toString());
  }

  @Test
  void aFlippedBitInARecordHeaderStopsStartUp() throws IOException {
    writeLog();
    Path segment = segment();
    // The header of a record near the middle: the length's highest byte, which a torn-write
    // check could take for a sector never written.
    byte[] bytes = Files.readAllBytes(segment);
    long middle = endOfData(segment) / 2;
    long header = -1;
    for (long at = middle; at < bytes.length - 9; at++) {
      if (bytes[(int) at + 8] == 7 && bytes[(int) at] == 0 && bytes[(int) at + 1] == 0) {
        header = at;
        break;
      }
    }
    assertThat(header).isPositive();
    flipByteAt(segment, header);

    assertThatThrownBy(this::openAndLoad)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(segment.toString());
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
