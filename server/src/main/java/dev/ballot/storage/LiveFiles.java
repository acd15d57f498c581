package dev.ballot.storage;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of a RocksDB instance that hold its current state, as RocksDB itself tracks them: the
 * SST files of its current version and every WAL from the oldest one still needed. A compaction's
 * outputs join the version, and its inputs leave it, at one moment; files that are obsolete but not
 * deleted yet (RocksDB keeps them while a checkpoint is taken, and deletes them a moment after a
 * flush or compaction ends) are not live.
 *
 * @param sstFiles the live SST files' names, such as {@code 000012.sst}
 * @param minWalNumber the number of the oldest WAL file still needed
 */
public record LiveFiles(Set<String> sstFiles, long minWalNumber) {
  private static final Pattern WAL = Pattern.compile("(\\d+)\\.log");

  public LiveFiles {
    sstFiles = Set.copyOf(sstFiles);
  }

  /**
   * Whether the file named {@code fileName} in the instance's folder is part of its current state:
   * an SST file of the current version, a WAL still needed, or any other file (MANIFEST, OPTIONS,
   * info logs), which RocksDB keeps as long as it needs them.
   */
  public boolean holds(String fileName) {
    if (fileName.endsWith(".sst")) {
      return sstFiles.contains(fileName);
    }
    Matcher wal = WAL.matcher(fileName);
    if (wal.matches()) {
      return Long.parseLong(wal.group(1)) >= minWalNumber;
    }
    return true;
  }
}
