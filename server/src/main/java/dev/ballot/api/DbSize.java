package dev.ballot.api;

import dev.ballot.storage.LiveFiles;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.LongSupplier;

/**
 * The bytes of the files that hold the RocksDB instance's current state: the SST files of its
 * current version, the WAL files it still needs, MANIFEST, OPTIONS and info logs; what {@code du}
 * counts, less the files RocksDB is about to delete or is still writing. RocksDB's size properties
 * each cover only a part (the SST files, or the memtables), and recent writes live in the WAL, so
 * they under-report a young store; a plain {@code du} over-reports for as long as a compaction runs
 * (its inputs and outputs both on disk) or a checkpoint holds obsolete files, which once raised a
 * NOSPACE alarm on one node at 27 % over its steady size. Status reports it as the db size, and the
 * space quota is checked against it. The Raft log's segment files, in their folder inside the
 * instance's, are not counted: as etcd's WAL, they are not the database, and their size is fixed
 * ahead of what they hold.
 */
final class DbSize {
  private DbSize() {}

  /** The size of the instance {@code storage} keeps in {@code dbDir}, measured each time. */
  static LongSupplier of(RocksDbRaftStorage storage, Path dbDir) {
    return () -> bytes(dbDir, storage.liveFiles());
  }

  /**
   * The total of the files in {@code dbDir} that {@code live} holds; a file deleted while the
   * folder is walked (RocksDB removes a compaction's inputs and flushed WAL files at any time)
   * counts nothing, and the walk goes on. 0 if the folder cannot be read at all. The live files are
   * listed before the walk, so a file that joins them meanwhile is not counted: a compaction or a
   * flush ending during the walk can make the total briefly low, never high.
   */
  static long bytes(Path dbDir, LiveFiles live) {
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
              if (attrs.isRegularFile() && live.holds(file.getFileName().toString())) {
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
