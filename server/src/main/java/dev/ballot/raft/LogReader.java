package dev.ballot.raft;

import java.util.List;

/**
 * Reads persisted entries back, for a core that keeps only the newest part of its log in memory
 * (etcd raft's {@code Storage.Entries}). Called on the core's thread; the entries asked for are
 * always persisted and above the compaction point.
 */
@FunctionalInterface
public interface LogReader {
  /** Entries in [lo, hi), as persisted: at most {@code maxBytes} of payload, but at least one. */
  List<Entry> read(long lo, long hi, long maxBytes);

  /** For a log kept wholly in memory: reading back is a bug. */
  LogReader NONE =
      (lo, hi, maxBytes) -> {
        throw new IllegalStateException("no log reader: entries " + lo + ".." + hi + " evicted");
      };
}
