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
 * their catching up does not starve the apply threads of the node and its neighbours; flushes keep
 * theirs. Read from Linux's /proc, where RocksDB names its threads.
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
                  storage.kvDataFamily(),
                  ("key-" + i).getBytes(StandardCharsets.UTF_8),
                  ("value-" + file).getBytes(StandardCharsets.UTF_8));
        }
        storage.db().flush(flush, storage.kvDataFamily());
      }
      storage.compactAll();

      assertThat(niceOfThreadsNamed("rocksdb:low")).isNotEmpty().containsOnly(19);
      assertThat(niceOfThreadsNamed("rocksdb:high")).isNotEmpty().doesNotContain(19);
    }
  }

  /** The nice value (field 19 of /proc/self/task/TID/stat) of each thread of this name. */
  private static List<Integer> niceOfThreadsNamed(String name) throws IOException {
    List<Integer> nice = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String comm;
        String stat;
        try {
          comm = Files.readString(task.resolve("comm")).strip();
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended meanwhile
        }
        if (comm.equals(name)) {
          // After the command in parentheses: state is field 3, nice field 19.
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          nice.add(Integer.parseInt(fields[16]));
        }
      }
    }
    return nice;
  }
}
