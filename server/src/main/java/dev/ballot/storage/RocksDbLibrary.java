package dev.ballot.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;

/**
 * Loads RocksDB's native library without leaving a copy of it behind.
 *
 * <p>RocksDB's own loader copies the 17 MB library from its jar to a new file in {@code
 * java.io.tmpdir} at every start and deletes it only when the JVM exits normally. A node killed
 * with {@code kill -9}, or by the OOM killer, leaves its copy behind, so a node that crash-loops
 * fills the temporary directory and then fails to start for want of disk. Here the copy goes to a
 * private directory and is deleted as soon as it is loaded: a loaded library needs no file.
 *
 * <p>An operator who sets {@code ROCKSDB_SHAREDLIB_DIR} chose where the library lives; then
 * RocksDB's loader runs as it is.
 */
public final class RocksDbLibrary {
  private static final String PREFIX = "ballot-rocksdb-";
  private static boolean loaded;

  private RocksDbLibrary() {}

  /** Loads the library once per JVM; must run before any {@code org.rocksdb} class initializes. */
  public static synchronized void load() {
    if (loaded) {
      return;
    }
    if (System.getenv("ROCKSDB_SHAREDLIB_DIR") == null) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory(PREFIX + ProcessHandle.current().pid() + "-");
        removeLeftovers(dir.getParent());
        NativeLibraryLoader.getInstance().loadLibrary(dir.toString());
      } catch (IOException e) {
        // e.g. "NoSuchFileException: /path" or "FileSystemException: ...: No space left on device"
        throw new UncheckedIOException(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
      } finally {
        deleteQuietly(dir);
      }
    }
    // Loads the compression libraries and marks the library loaded; the JNI library itself is
    // found loaded above and not copied again.
    RocksDB.loadLibrary();
    loaded = true;
  }

  /**
   * Deletes the copies of processes that died while copying (the copy takes a few milliseconds, and
   * a node can be killed in them): each directory names the process that made it.
   */
  static void removeLeftovers(Path tmp) {
    try (Stream<Path> dirs = Files.list(tmp)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(PREFIX)) {
          continue;
        }
        String[] parts = name.substring(PREFIX.length()).split("-", 2);
        try {
          long pid = Long.parseLong(parts[0]);
          if (ProcessHandle.of(pid).isEmpty()) {
            deleteQuietly(dir);
          }
        } catch (NumberFormatException e) {
          // not one of ours
        }
      }
    } catch (IOException e) {
      // best effort: a leftover costs disk space, not correctness
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // The library is loaded either way; a leftover file in the temp directory is all it costs.
    }
  }
}
