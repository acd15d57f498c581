package dev.ballot.storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Which of the history's files to merge. The history ({@code kv_events}) is written in revision
 * order, so each flush makes a file whose keys follow every older file's, and RocksDB moves it down
 * to the last level as it is (see {@link KvFamilies}). Every snapshot flushes, so without merging
 * the history grows by one small file per snapshot (under a megabyte at 10,000 puts of 256 bytes),
 * for as long as the node runs and nothing compacts the history; and each snapshot takes longer
 * than the last, since a checkpoint links every file, copies the MANIFEST that lists them and opens
 * them to read what it holds.
 *
 * <p>A run of neighbouring small files in the last level (neighbours in key order, each smaller
 * than half of {@code mergeBytes}) is merged once it holds {@code mergeBytes} or {@code
 * maxRunFiles} files: RocksDB rewrites them into files of its target size. A file that came out of
 * a merge of {@code mergeBytes} is not small, so in the common case each event is rewritten once;
 * where 64 files hold less than half of it (a slow write rate), the merged file is small and is
 * merged again with the next run, until it holds half of {@code mergeBytes}. A run that a file of
 * another level overlaps (the range delete of a history compaction, which RocksDB compacts down
 * soon) waits: merging it would take that file's compaction, and with it the history it covers,
 * along.
 */
public final class HistoryFiles {
  /** What a run of small files must hold before it is merged. */
  public static final long MERGE_BYTES = 32L << 20;

  /** A run with this many files is merged whatever it holds. */
  public static final int MAX_RUN_FILES = 64;

  private HistoryFiles() {}

  /**
   * One SST file of the history.
   *
   * @param level the RocksDB level it is in
   * @param smallestKey its first key
   * @param largestKey its last key
   * @param size its size in bytes
   */
  public record File(int level, byte[] smallestKey, byte[] largestKey, long size) {}

  /** The key range to merge: its first file's smallest key through its last file's largest. */
  public record Run(byte[] first, byte[] last, int files, long bytes) {}

  /**
   * The oldest run of the last level's small files that is due for a merge, or null if none is.
   *
   * @param files the history's live files, in any level and order
   * @param lastLevel the family's last level (its number of levels minus one)
   */
  public static Run due(List<File> files, int lastLevel, long mergeBytes, int maxRunFiles) {
    List<File> bottom = new ArrayList<>();
    List<File> above = new ArrayList<>();
    for (File f : files) {
      (f.level() == lastLevel ? bottom : above).add(f);
    }
    bottom.sort(Comparator.comparing(File::smallestKey, Arrays::compareUnsigned));
    long small = mergeBytes / 2;
    int start = 0;
    long bytes = 0;
    for (int i = 0; i < bottom.size(); i++) {
      File f = bottom.get(i);
      if (f.size() >= small) {
        start = i + 1;
        bytes = 0;
        continue;
      }
      bytes += f.size();
      int count = i - start + 1;
      if (bytes >= mergeBytes || count >= maxRunFiles) {
        Run run = new Run(bottom.get(start).smallestKey(), f.largestKey(), count, bytes);
        if (!overlapsAny(run, above)) {
          return run;
        }
        start = i + 1;
        bytes = 0;
      }
    }
    return null;
  }

  private static boolean overlapsAny(Run run, List<File> files) {
    for (File f : files) {
      if (Arrays.compareUnsigned(f.smallestKey(), run.last()) <= 0
          && Arrays.compareUnsigned(f.largestKey(), run.first()) >= 0) {
        return true;
      }
    }
    return false;
  }
}
