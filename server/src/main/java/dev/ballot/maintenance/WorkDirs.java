package dev.ballot.maintenance;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Deletes the scratch directories of backups and restores. */
public final class WorkDirs {
  private WorkDirs() {}

  /** Deletes {@code dir} and everything in it; nothing if it does not exist. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException failure)
              throws IOException {
            if (failure != null) {
              throw failure;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
