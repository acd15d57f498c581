package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;

/**
 * RocksDB's compactions run at the lowest CPU priority (nice 19), so that after a burst of writes
 * their catching up does not starve the node's apply thread; flushes keep the JVM's priority. Read
 * from Linux's /proc, where RocksDB (on glibc) names its threads.
 */
class CompactionPriorityTest {
  @TempDir Path dir;

  @Test
  void compactionThreadsRunAtTheLowestPriorityAndFlushThreadsDoNot() throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      // Two overlapping files, so that compacting them is real work on a compaction thread.
      for (int file = 0; file < 2; file++) {
        for (int i = 0; i < 100; i++) {
          storage
              .db()
              .put(
                  storage.kvFamilies().data(),
                  ("key-" + i).getBytes(StandardCharsets.UTF_8),
                  ("value-" + file).getBytes(StandardCharsets.UTF_8));
        }
        storage.db().flush(flush, storage.kvFamilies().data());
      }
      storage.compactAll();

      // The thread that ran the compaction lowered itself (idle ones do so at their next job).
      assertThat(niceOfThreadsNamed("rocksdb:low")).contains(19);
      // Flushes run as the JVM was started (under `nice`, at its value).
      int own = niceOf(Path.of("/proc/thread-self/stat"));
      assertThat(own).isLessThan(19);
      assertThat(niceOfThreadsNamed("rocksdb:high")).isNotEmpty().containsOnly(own);
    }
  }

  /** The nice value (field 19 of /proc/self/task/TID/stat) of each thread of this name. */
  private static List<Integer> niceOfThreadsNamed(String name) throws IOException {
    List<Integer> nice = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          if (Files.readString(task.resolve("comm")).strip().equals(name)) {
            nice.add(niceOf(task.resolve("stat")));
          }
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
    }
    return nice;
  }

  /** Field 19 of a thread's stat file: after the command in parentheses, state is field 3. */
  private static int niceOf(Path stat) throws IOException {
    String line = Files.readString(stat);
    String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(fields[16]);
  }
}
