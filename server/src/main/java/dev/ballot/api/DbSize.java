package dev.ballot.api;

import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The bytes of every file of the RocksDB instance: SST files, WAL, MANIFEST and info logs, what
 * {@code du} counts. RocksDB's size properties each cover only a part (the SST files, or the
 * memtables), and recent writes live in the WAL, so they under-report a young store. Status reports
 * it as the db size, and the space quota is checked against it. The Raft log's segment files, in
 * their folder inside the instance's, are not counted: as etcd's WAL, they are not the database,
 * and their size is fixed ahead of what they hold.
 */
final class DbSize {
  private DbSize() {}

  static long bytes(Path dbDir) {
    Path logDir = dbDir.resolve(RocksDbRaftStorage.LOG_DIR);
    try (Stream<Path> files = Files.walk(dbDir)) {
      return files
          .filter(p -> !p.startsWith(logDir))
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // deleted by a compaction while we walked
                }
              })
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }
}
