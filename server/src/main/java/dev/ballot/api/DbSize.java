package dev.ballot.api;

import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

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

  /**
   * The total; a file deleted while the folder is walked (RocksDB removes a compaction's inputs and
   * flushed WAL files at any time) counts nothing, and the walk goes on. 0 if the folder cannot be
   * read at all.
   */
  static long bytes(Path dbDir) {
    Path logDir = dbDir.resolve(RocksDbRaftStorage.LOG_DIR);
    long[] total = {0};
    try {
      Files.walkFileTree(
          dbDir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              return d.equals(logDir) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isRegularFile()) {
                total[0] += attrs.size();
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE; // gone since the folder was listed
            }
          });
    } catch (IOException e) {
      return 0;
    }
    return total[0];
  }
}
