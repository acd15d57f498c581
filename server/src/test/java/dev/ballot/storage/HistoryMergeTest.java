package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

class HistoryMergeTest {
  @TempDir Path dir;

  private static HistoryFiles.File file(int level, int first, int last, long size) {
    return new HistoryFiles.File(level, key(first), key(last), size);
  }

  private static byte[] key(long revision) {
    return ByteBuffer.allocate(9).put((byte) KvFamilies.EVENTS_PREFIX).putLong(revision).array();
  }

  @Test
  void theOldestRunOfSmallFilesInTheLastLevelIsDueOnceItHoldsEnough() {
    List<HistoryFiles.File> files = new ArrayList<>();
    files.add(file(6, 0, 99, 100)); // large: ends a run
    for (int i = 1; i <= 5; i++) {
      files.add(file(6, i * 100, i * 100 + 99, 10));
    }
    files.add(file(0, 900, 999, 10)); // not in the last level
    assertThat(HistoryFiles.due(files, 6, 100, 64)).isNull(); // 50 bytes of small files

    files.add(file(6, 600, 699, 30));
    files.add(file(6, 700, 799, 30)); // 110 bytes from revision 100 on
    Collections.reverse(files); // any order
    HistoryFiles.Run run = HistoryFiles.due(files, 6, 100, 64);
    assertThat(run.files()).isEqualTo(7);
    assertThat(run.bytes()).isEqualTo(110);
    assertThat(run.first()).isEqualTo(key(100));
    assertThat(run.last()).isEqualTo(key(799));
  }

  @Test
  void aRunIsDueAtItsFileCountAndALargeFileSplitsRuns() {
    List<HistoryFiles.File> files = new ArrayList<>();
    files.add(file(6, 0, 9, 1));
    files.add(file(6, 10, 19, 1));
    files.add(file(6, 20, 29, 60)); // half of 100 or more: not small
    files.add(file(6, 30, 39, 1));
    files.add(file(6, 40, 49, 1));
    files.add(file(6, 50, 59, 1));
    assertThat(HistoryFiles.due(files, 6, 100, 4)).isNull();
    files.add(file(6, 60, 69, 1));
    HistoryFiles.Run run = HistoryFiles.due(files, 6, 100, 4);
    assertThat(run.first()).isEqualTo(key(30));
    assertThat(run.last()).isEqualTo(key(69));
    assertThat(run.files()).isEqualTo(4);
  }

  @Test
  void keysCompareUnsigned() {
    List<HistoryFiles.File> files = new ArrayList<>();
    files.add(new HistoryFiles.File(6, new byte[] {(byte) 0x90}, new byte[] {(byte) 0x91}, 1));
    files.add(new HistoryFiles.File(6, new byte[] {0x10}, new byte[] {0x11}, 1));
    HistoryFiles.Run run = HistoryFiles.due(files, 6, 100, 2);
    assertThat(run.first()).isEqualTo(new byte[] {0x10});
    assertThat(run.last()).isEqualTo(new byte[] {(byte) 0x91});
  }

  @Test
  void smallFlushedFilesAreMergedAndEveryEventIsKept() throws Exception {
    int flushes = 40;
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      RocksDB db = storage.db();
      List<byte[]> values = flushedHistory(storage, flushes, 200, 100, 7);
      int before = historyFiles(db, -1);

      long mergeBytes = 200 * 1024;
      int merged = storage.mergeHistoryFiles(mergeBytes, 64);
      assertThat(merged).isGreaterThan(1);
      assertThat(historyFiles(db, -1)).isLessThan(before - merged / 2);
      for (int more; (more = storage.mergeHistoryFiles(mergeBytes, 64)) > 0; ) {
        merged += more;
      }

      // Each file merged went into one that is not small: what is left small is less than a run.
      long smallLeft = 0;
      for (LiveFileMetaData f : db.getLiveFilesMetaData()) {
        if (new String(f.columnFamilyName(), StandardCharsets.UTF_8)
                .equals(RocksDbRaftStorage.KV_EVENTS)
            && f.size() < mergeBytes / 2) {
          smallLeft += f.size();
        }
      }
      assertThat(smallLeft).isLessThan(mergeBytes);
      assertThat(merged).isGreaterThan(before / 2);
      assertThat(historyFiles(db, -1)).isLessThan(before / 4);
      assertEveryEvent(db, storage, values);
    }
  }

  @Test
  void noMergeAfterTheStorageCancelledThem() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      RocksDB db = storage.db();
      int lastLevel = sixteenSmallFiles(storage);
      storage.cancelHistoryMerges();
      assertThat(storage.mergeHistoryFiles(Long.MAX_VALUE / 4, 4)).isZero();
      assertThat(historyFiles(db, lastLevel)).isGreaterThanOrEqualTo(8);
    }
  }

  @Test
  void aCancelDuringAMergeEndsItAndKeepsEveryEvent() throws Exception {
    int flushes = 32;
    List<byte[]> values;
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      RocksDB db = storage.db();
      values = flushedHistory(storage, flushes, 1_500, 1_000, 11); // 48 MB, random: incompressible
      int before = historyFiles(db, -1);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> runningCompactions(db, storage) == 0); // RocksDB's own moves are done

      // One merge of the oldest files, cancelled once RocksDB runs it.
      CompletableFuture<Integer> merge =
          CompletableFuture.supplyAsync(
              () -> storage.mergeHistoryFiles(Long.MAX_VALUE / 4, flushes - 4));
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> merge.isDone() || runningCompactions(db, storage) > 0);
      assertThat(merge.isDone()).as("the merge runs when the cancel comes").isFalse();
      storage.cancelHistoryMerges();

      // cancelled: it ends, and no file counts as merged
      assertThat(merge.get(20, TimeUnit.SECONDS)).isZero();
      assertThat(historyFiles(db, -1)).isEqualTo(before); // its half-written output is gone
      assertThat(storage.mergeHistoryFiles(Long.MAX_VALUE / 4, flushes - 4)).isZero();
      assertEveryEvent(db, storage, values);
    }
    // The cancel ends with the storage: reopened, the same files merge, every event kept.
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      assertThat(storage.mergeHistoryFiles(Long.MAX_VALUE / 4, flushes - 4)).isEqualTo(flushes - 4);
      assertEveryEvent(storage.db(), storage, values);
    }
  }

  private static long runningCompactions(RocksDB db, RocksDbRaftStorage storage) throws Exception {
    return db.getLongProperty(storage.kvFamilies().events(), "rocksdb.num-running-compactions");
  }

  private static void assertEveryEvent(
      RocksDB db, RocksDbRaftStorage storage, List<byte[]> values) {
    try (RocksIterator it = db.newIterator(storage.kvFamilies().events())) {
      int n = 0;
      for (it.seekToFirst(); it.isValid(); it.next()) {
        assertThat(it.key()).isEqualTo(key(n + 1));
        assertThat(it.value()).isEqualTo(values.get(n));
        n++;
      }
      assertThat(n).isEqualTo(values.size());
    }
  }

  @Test
  void withoutTheCancelTheSameFilesAreMerged() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir)) {
      RocksDB db = storage.db();
      int lastLevel = sixteenSmallFiles(storage);
      assertThat(storage.mergeHistoryFiles(Long.MAX_VALUE / 4, 4)).isEqualTo(4);
    }
  }

  @Test
  void aRunThatAFileOfAnotherLevelOverlapsWaits() {
    List<HistoryFiles.File> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      files.add(file(6, i * 10, i * 10 + 9, 1));
    }
    // A range delete of a history compaction, in level 0, over revisions 0 to 35.
    files.add(file(0, 0, 35, 1));
    HistoryFiles.Run run = HistoryFiles.due(files, 6, 100, 4);
    assertThat(run.first()).isEqualTo(key(40)); // the first run (0-39) waits
    assertThat(run.last()).isEqualTo(key(79));
    files.add(file(3, 75, 75, 1));
    assertThat(HistoryFiles.due(files, 6, 100, 4)).isNull();
  }

  @Test
  void theManifestStartsAnewInsteadOfGrowingWithEveryFlush() throws Exception {
    long cap = 16 * 1024;
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir, cap);
        WriteOptions noWal = new WriteOptions().setDisableWAL(true);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      RocksDB db = storage.db();
      Set<String> manifests = new HashSet<>(manifests());
      for (int f = 0; f < 600; f++) {
        db.put(storage.kvFamilies().events(), noWal, key(f + 1), new byte[10]);
        db.flush(flush, storage.kvFamilies().events());
        manifests.addAll(manifests());
      }
      // Each new MANIFEST starts with the list of every live file (here hundreds of small ones),
      // then grows by a record per flush or compaction until it passes the cap; with RocksDB's
      // default of 1 GiB the first one would take every record.
      assertThat(manifests).hasSizeGreaterThan(1);
    }
  }

  /** The names of the MANIFEST files in the instance's folder. */
  private Set<String> manifests() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.startsWith("MANIFEST-"))
          .collect(Collectors.toSet());
    }
  }

  /**
   * Writes {@code flushes} files of {@code perFlush} events each (random values of {@code
   * valueBytes}, revisions from 1) into the history; returns the values in revision order once all
   * but four files reached the last level, where RocksDB moves flushed files as they are.
   */
  private static List<byte[]> flushedHistory(
      RocksDbRaftStorage storage, int flushes, int perFlush, int valueBytes, long seed)
      throws Exception {
    RocksDB db = storage.db();
    Random random = new Random(seed);
    List<byte[]> values = new ArrayList<>();
    try (WriteOptions noWal = new WriteOptions().setDisableWAL(true);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      long revision = 0;
      for (int f = 0; f < flushes; f++) {
        for (int i = 0; i < perFlush; i++) {
          byte[] value = new byte[valueBytes];
          random.nextBytes(value);
          values.add(value);
          db.put(storage.kvFamilies().events(), noWal, key(++revision), value);
        }
        db.flush(flush, storage.kvFamilies().events());
      }
    }
    int lastLevel = lastLevel(storage);
    await().atMost(Duration.ofSeconds(20)).until(() -> historyFiles(db, lastLevel) >= flushes - 4);
    return values;
  }

  /** Flushes 16 one-event files; returns the last level, once all but four of them reached it. */
  private static int sixteenSmallFiles(RocksDbRaftStorage storage) throws Exception {
    flushedHistory(storage, 16, 1, 100, 16);
    return lastLevel(storage);
  }

  private static int lastLevel(RocksDbRaftStorage storage) {
    return storage.db().numberLevels(storage.kvFamilies().events()) - 1;
  }

  /** The history's live files in {@code level}, or in every level if it is negative. */
  private static int historyFiles(RocksDB db, int level) {
    int n = 0;
    for (LiveFileMetaData f : db.getLiveFilesMetaData()) {
      if (new String(f.columnFamilyName(), StandardCharsets.UTF_8)
              .equals(RocksDbRaftStorage.KV_EVENTS)
          && (level < 0 || f.level() == level)) {
        n++;
      }
    }
    return n;
  }
}
