package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DbSizeTest {
  @TempDir Path dir;

  @Test
  void countsEveryFileButTheRaftLog() throws Exception {
    Files.write(dir.resolve("000012.sst"), new byte[1000]);
    Files.write(dir.resolve("MANIFEST-000005"), new byte[200]);
    Path log = Files.createDirectories(dir.resolve(RocksDbRaftStorage.LOG_DIR));
    Files.write(log.resolve("0000000000000001.seg"), new byte[8192]);

    assertThat(DbSize.bytes(dir)).isEqualTo(1200);
  }

  /**
   * RocksDB deletes files while the size is measured (a compaction's inputs, a flushed WAL): a file
   * gone between listing the folder and reading its size counts nothing, and the rest still counts.
   * A walk that gave up there once reported 0 bytes, which a full store must never read.
   */
  @Test
  void filesDeletedDuringTheWalkDoNotZeroTheTotal() throws Exception {
    Files.write(dir.resolve("000145.sst"), new byte[100_000]);
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
        assertThat(DbSize.bytes(dir)).isGreaterThanOrEqualTo(100_000);
      }
    } finally {
      stop.set(true);
      churn.join();
    }
  }
}
