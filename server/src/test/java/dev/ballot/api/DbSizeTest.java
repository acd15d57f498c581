package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.storage.LiveFiles;
import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;

class DbSizeTest {
  @TempDir Path dir;

  @Test
  void countsEveryLiveFileButTheRaftLog() throws Exception {
    Files.write(dir.resolve("000012.sst"), new byte[1000]);
    Files.write(dir.resolve("000020.log"), new byte[300]);
    Files.write(dir.resolve("MANIFEST-000005"), new byte[200]);
    Path log = Files.createDirectories(dir.resolve(RocksDbRaftStorage.LOG_DIR));
    Files.write(log.resolve("0000000000000001.seg"), new byte[8192]);

    assertThat(DbSize.bytes(dir, new LiveFiles(Set.of("000012.sst"), 20))).isEqualTo(1500);
  }

  /**
   * A compaction's outputs are on disk before they join the current version, and its inputs after
   * they left it (until RocksDB deletes them, which a checkpoint holds off); a flushed WAL stays a
   * moment after its data is in an SST file. Counting them all once raised NOSPACE on one node.
   */
  @Test
  void filesRocksDbNoLongerOrNotYetHoldsDoNotCount() throws Exception {
    Files.write(dir.resolve("000012.sst"), new byte[1000]); // live
    Files.write(dir.resolve("000015.sst"), new byte[5000]); // a compaction's output, not installed
    Files.write(dir.resolve("000009.log"), new byte[700]); // flushed, obsolete
    Files.write(dir.resolve("000016.log"), new byte[300]); // the WAL in use
    Files.write(dir.resolve("LOG"), new byte[40]);

    assertThat(DbSize.bytes(dir, new LiveFiles(Set.of("000012.sst"), 16))).isEqualTo(1340);
  }

  /**
   * On a real instance: the size follows the data RocksDB holds, and an SST file it does not know
   * (as a compaction's output in progress is) adds nothing, where {@code du} would count it.
   */
  @Test
  void aRealInstanceCountsItsOwnFilesOnly() throws Exception {
    Path db = dir.resolve("db");
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db)) {
      RocksDB rocks = storage.db();
      byte[] value = new byte[4096];
      Random random = new Random(1);
      for (int i = 0; i < 500; i++) {
        random.nextBytes(value);
        rocks.put(storage.kvFamilies().data(), ("k" + i).getBytes(), value);
      }
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        rocks.flush(flush, storage.kvFamilies().data());
      }
      long size = DbSize.of(storage, db).getAsLong();
      assertThat(storage.liveFiles().sstFiles()).isNotEmpty();
      assertThat(size).isGreaterThan(500L * 4096);

      Files.write(db.resolve("999999.sst"), new byte[1 << 20]);

      assertThat(DbSize.of(storage, db).getAsLong()).isEqualTo(size);
    }
  }

  /**
   * The case that raised a false alarm: a compaction's inputs still on disk beside its outputs
   * (here held by RocksDB's file deletions being off, as while a checkpoint is taken). {@code du}
   * counts both; the size counts the outputs alone.
   */
  @Test
  void aCompactionsInputsKeptOnDiskDoNotCountBesideItsOutputs() throws Exception {
    Path db = dir.resolve("db");
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db)) {
      RocksDB rocks = storage.db();
      Random random = new Random(2);
      byte[] value = new byte[4096];
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        for (int file = 0; file < 3; file++) {
          for (int i = 0; i < 200; i++) {
            random.nextBytes(value);
            // Every file spans the same keys, so the compaction rewrites them all (no file moves
            // down as it is).
            rocks.put(
                storage.kvFamilies().data(), String.format("k%04d-%d", i, file).getBytes(), value);
          }
          rocks.flush(flush, storage.kvFamilies().data());
        }
      }
      Set<String> inputs = storage.liveFiles().sstFiles();
      long inputBytes = 0;
      for (String input : inputs) {
        inputBytes += Files.size(db.resolve(input));
      }

      rocks.disableFileDeletions();
      rocks.compactRange(storage.kvFamilies().data());

      for (String input : inputs) {
        assertThat(db.resolve(input)).as("an input kept on disk").exists();
      }
      assertThat(storage.liveFiles().sstFiles()).doesNotContainAnyElementsOf(inputs);
      long size = DbSize.of(storage, db).getAsLong();
      assertThat(size)
          .as("the size, without the inputs")
          .isLessThanOrEqualTo(everyFile(db) - inputBytes)
          .isGreaterThan(600L * 4096); // the output holds every value
    }
  }

  private static long everyFile(Path dir) throws Exception {
    Path log = dir.resolve(RocksDbRaftStorage.LOG_DIR);
    try (var files = Files.walk(dir)) {
      return files
          .filter(f -> Files.isRegularFile(f) && !f.startsWith(log))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  /**
   * RocksDB deletes files while the size is measured (a compaction's inputs, a flushed WAL): a file
   * gone between listing the folder and reading its size counts nothing, and the rest still counts.
   * A walk that gave up there once reported 0 bytes, which a full store must never read.
   */
  @Test
  void filesDeletedDuringTheWalkDoNotZeroTheTotal() throws Exception {
    Files.write(dir.resolve("000145.sst"), new byte[100_000]);
    LiveFiles live = new LiveFiles(Set.of("000145.sst"), 0);
    AtomicBoolean stop = new AtomicBoolean();
    Thread churn =
        new Thread(
            () -> {
              for (int i = 0; !stop.get(); i++) {
                Path file = dir.resolve(String.format("%06d.tmp", i % 50));
                try {
                  Files.write(file, new byte[10]);
                  Files.deleteIfExists(dir.resolve(String.format("%06d.tmp", (i + 25) % 50)));
                } catch (Exception e) {
                  return;
                }
              }
            });
    churn.start();
    try {
      for (int i = 0; i < 3_000; i++) {
        assertThat(DbSize.bytes(dir, live)).isGreaterThanOrEqualTo(100_000);
      }
    } finally {
      stop.set(true);
      churn.join();
    }
  }
}
