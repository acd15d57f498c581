package dev.ballot;

import dev.ballot.backup.BackupFormatException;
import dev.ballot.maintenance.BackupRestore;
import java.io.IOException;

/**
 * {@code --restore-from} at start-up: seeds a new data directory from a backup file; without it,
 * refuses a data directory that a crash left half restored.
 */
final class RestoreAtStartup {
  private RestoreAtStartup() {}

  /** 0 to go on starting, or the exit code (2) to stop with; the reason is on stderr. */
  static int seed(ServerOptions options) throws IOException {
    if (options.restoreFrom == null) {
      try {
        BackupRestore.checkNotInterrupted(options.dataDir.resolve("db"));
      } catch (BackupRestore.InterruptedRestoreException e) {
        System.err.println("kvserver: cannot start: " + e.getMessage());
        return 2;
      }
    }
    if (options.restoreFrom != null) {
      int refused = restore(options);
      if (refused != 0) {
        return refused;
      }
    }
    return 0;
  }

  /** Seeds the data directory from the backup; non-zero (an exit code) if it refuses. */
  private static int restore(ServerOptions options) throws IOException {
    try {
      BackupRestore.restore(options.restoreFrom, options.dataDir.resolve("db"));
      return 0;
    } catch (BackupRestore.DataDirInUseException | BackupFormatException e) {
      System.err.println("kvserver: cannot restore: " + e.getMessage());
      return 2;
    } catch (java.nio.file.NoSuchFileException e) {
      System.err.println("kvserver: cannot restore: no such file " + e.getMessage());
      return 2;
    }
  }
}
