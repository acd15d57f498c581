package dev.ballot.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The core's view of the log: the entries after the latest compaction point, the commit and applied
 * indexes, and how far the driver has persisted. The driver keeps the durable copy; this one is
 * rebuilt from it at start-up ({@link RestoredState}).
 */
final class RaftLog {
  /** Index and term of the last entry compacted away (0/0 for a log that starts at 1). */
  private long offsetIndex;

  private long offsetTerm;

  /**
   * entries.get(i) has index offsetIndex + 1 + i. Those before {@link #evictedThrough} hold no
   * payload in memory (data is {@link #EVICTED}): it is read back through {@link #reader}.
   */
  private final ArrayList<Entry> entries = new ArrayList<>();

  /** The payload of an entry kept only on disk; compared by identity. */
  private static final byte[] EVICTED = new byte[0];

  private final LogReader reader;
  private final long maxInMemoryBytes;

  /** Payload bytes of the entries held in memory. */
  private long inMemoryBytes;

  /** Entries up to here (applied and persisted) are on disk only. */
  private long evictedThrough;

  private long committed;
  private long applied;

  /** Entries up to here are known to be on the driver's disk. */
  private long stableIndex;

  /** The newest snapshot this node has, which a leader sends to followers it cannot catch up. */
  private SnapshotMeta snapshot;

  /** The configuration in force at {@link #offsetIndex}. */
  private ClusterConfig baseConfig;

  /** The configurations of the CONFIG entries in the log, by index. */
  private final TreeMap<Long, ClusterConfig> configs = new TreeMap<>();

  /**
   * @param initialConfig the configuration before any CONFIG entry, when there is no snapshot
   */
  RaftLog(RestoredState restored, ClusterConfig initialConfig) {
    this(restored, initialConfig, LogReader.NONE, Long.MAX_VALUE);
  }

  /**
   * @param reader reads persisted entries back, once {@code maxInMemoryBytes} of payload is held
   *     and older entries were dropped from memory
   */
  RaftLog(
      RestoredState restored,
      ClusterConfig initialConfig,
      LogReader reader,
      long maxInMemoryBytes) {
    this.reader = reader;
    this.maxInMemoryBytes = maxInMemoryBytes;
    snapshot = restored.snapshot();
    baseConfig = initialConfig;
    if (snapshot != null) {
      offsetIndex = snapshot.index();
      offsetTerm = snapshot.term();
      baseConfig = snapshot.config();
    }
    long expected = offsetIndex + 1;
    for (Entry e : restored.entries()) {
      if (e.index() != expected) {
        throw new IllegalStateException(
            "restored log is not contiguous: expected index " + expected + ", got " + e.index());
      }
      if (e.term() < termOfLast()) {
        throw new IllegalStateException("restored log has decreasing terms at index " + e.index());
      }
      add(e);
      expected++;
    }
    stableIndex = lastIndex();
    evictedThrough = offsetIndex;
    committed = Math.max(offsetIndex, restored.hardState().commitIndex());
    if (committed > lastIndex()) {
      throw new IllegalStateException(
          "commit index " + committed + " is past the last log index " + lastIndex());
    }
    applied = Math.max(offsetIndex, restored.appliedIndex());
    if (applied > committed) {
      throw new IllegalStateException("applied " + applied + " is past commit " + committed);
    }
    evict();
  }

  private void add(Entry e) {
    entries.add(e);
    inMemoryBytes += e.sizeBytes();
    trackConfig(e);
  }

  /**
   * Drops payloads from memory, oldest first, while more than the bound is held: only of entries
   * applied and persisted, which are never sent again in a Ready and are on disk to read back.
   */
  private void evict() {
    long evictable = Math.min(applied, stableIndex);
    while (inMemoryBytes > maxInMemoryBytes && evictedThrough < evictable) {
      long index = ++evictedThrough;
      int i = (int) (index - offsetIndex - 1);
      Entry e = entries.get(i);
      inMemoryBytes -= e.sizeBytes();
      entries.set(i, new Entry(e.term(), e.index(), e.type(), EVICTED));
    }
  }

  /** Payload bytes of the entries held in memory (visible to tests). */
  long inMemoryBytes() {
    return inMemoryBytes;
  }

  /** Entries [lo, hi) read back from disk, checked against the terms this log holds. */
  private List<Entry> readBack(long lo, long hi, long maxBytes) {
    List<Entry> read = reader.read(lo, hi, maxBytes);
    if (read.isEmpty()) {
      throw new IllegalStateException("log reader returned nothing for " + lo + ".." + hi);
    }
    long expected = lo;
    for (Entry e : read) {
      if (e.index() != expected || e.index() >= hi || e.term() != term(e.index())) {
        throw new IllegalStateException(
            "log reader returned " + e + " for index " + expected + " term " + term(expected));
      }
      expected++;
    }
    return read;
  }

  long firstIndex() {
    return offsetIndex + 1;
  }

  long lastIndex() {
    return offsetIndex + entries.size();
  }

  long lastTerm() {
    return termOfLast();
  }

  private long termOfLast() {
    return entries.isEmpty() ? offsetTerm : entries.get(entries.size() - 1).term();
  }

  long committed() {
    return committed;
  }

  /**
   * The configuration in force: the newest one in the log, committed or not (thesis 4.1: a server
   * uses the latest configuration in its log).
   */
  ClusterConfig latestConfig() {
    Map.Entry<Long, ClusterConfig> last = configs.lastEntry();
    return last == null ? baseConfig : last.getValue();
  }

  /** The index of the entry that set {@link #latestConfig()} (at most the compaction point). */
  long latestConfigIndex() {
    return configs.isEmpty() ? offsetIndex : configs.lastKey();
  }

  /** The configuration in force once the entry at {@code index} is applied. */
  ClusterConfig configAt(long index) {
    if (index < offsetIndex) {
      throw new IllegalArgumentException(
          "configuration at " + index + " is compacted (log starts after " + offsetIndex + ")");
    }
    Map.Entry<Long, ClusterConfig> e = configs.floorEntry(index);
    return e == null ? baseConfig : e.getValue();
  }

  private void trackConfig(Entry e) {
    if (e.type() == EntryType.CONFIG) {
      configs.put(e.index(), ConfigEntry.decode(e.data()).config());
    }
  }

  long applied() {
    return applied;
  }

  long stableIndex() {
    return stableIndex;
  }

  SnapshotMeta snapshot() {
    return snapshot;
  }

  /** The term of the entry at {@code index}, or -1 if it is compacted away or beyond the end. */
  long term(long index) {
    if (index == offsetIndex) {
      return offsetTerm;
    }
    if (index < offsetIndex || index > lastIndex()) {
      return -1;
    }
    return entries.get((int) (index - offsetIndex - 1)).term();
  }

  Entry entry(long index) {
    if (index <= offsetIndex || index > lastIndex()) {
      throw new IllegalArgumentException(
          "no entry " + index + " in log (" + firstIndex() + ".." + lastIndex() + ")");
    }
    if (index <= evictedThrough) {
      return readBack(index, index + 1, Long.MAX_VALUE).get(0);
    }
    return entries.get((int) (index - offsetIndex - 1));
  }

  boolean matchTerm(long index, long term) {
    return term(index) == term;
  }

  /** Raft's up-to-date rule (paper 5.4.1): a later last term wins, then a longer log. */
  boolean isUpToDate(long otherLastIndex, long otherLastTerm) {
    long myLastTerm = lastTerm();
    return otherLastTerm > myLastTerm
        || (otherLastTerm == myLastTerm && otherLastIndex >= lastIndex());
  }

  /**
   * Entries in [lo, hi), at most maxBytes of payload but always at least one; null if compacted.
   */
  List<Entry> slice(long lo, long hi, long maxBytes) {
    if (lo <= offsetIndex) {
      return null;
    }
    if (hi > lastIndex() + 1) {
      throw new IllegalArgumentException("slice end " + hi + " past last index " + lastIndex());
    }
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    long from = lo;
    if (lo <= evictedThrough) {
      long diskEnd = Math.min(hi, evictedThrough + 1);
      out.addAll(readBack(lo, diskEnd, maxBytes));
      if (out.size() < diskEnd - lo) {
        return out; // the byte bound was reached on disk
      }
      for (Entry e : out) {
        bytes += e.sizeBytes();
      }
      from = diskEnd;
    }
    for (long i = from; i < hi; i++) {
      Entry e = entry(i);
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  /** Appends entries as the leader: they must follow the last entry directly. */
  void append(List<Entry> newEntries) {
    for (Entry e : newEntries) {
      if (e.index() != lastIndex() + 1 || e.term() < lastTerm()) {
        throw new IllegalStateException(
            "append of " + e + " after last index " + lastIndex() + " term " + lastTerm());
      }
      add(e);
    }
  }

  /**
   * Follower side of AppendEntries once prevLogIndex/prevLogTerm matched: skips entries it already
   * has, truncates at the first conflict and appends the rest. Returns the index of the last entry
   * of the request, now known to match the leader.
   */
  long appendFromLeader(long prevLogIndex, List<Entry> incoming) {
    long lastNew = prevLogIndex + incoming.size();
    for (int i = 0; i < incoming.size(); i++) {
      Entry e = incoming.get(i);
      if (e.index() <= offsetIndex) {
        continue; // already covered by our snapshot, hence committed and equal
      }
      long mine = term(e.index());
      if (mine == e.term()) {
        continue;
      }
      if (mine != -1) {
        if (e.index() <= committed) {
          throw new IllegalStateException(
              "leader would overwrite committed entry "
                  + e.index()
                  + " (commit "
                  + committed
                  + ")");
        }
        truncateFrom(e.index());
      }
      for (int j = i; j < incoming.size(); j++) {
        add(incoming.get(j));
      }
      break;
    }
    return lastNew;
  }

  private void truncateFrom(long index) {
    if (index <= evictedThrough) {
      throw new IllegalStateException(
          "truncation from "
              + index
              + " reaches applied entries (evicted through "
              + evictedThrough
              + ")");
    }
    int keep = (int) (index - offsetIndex - 1);
    for (Entry e : entries.subList(keep, entries.size())) {
      inMemoryBytes -= e.sizeBytes();
    }
    entries.subList(keep, entries.size()).clear();
    configs.tailMap(index, true).clear();
    stableIndex = Math.min(stableIndex, index - 1);
  }

  /**
   * The first index of the term of the entry at {@code index}, looking no further back than the
   * commit index (everything up to it matches the leader).
   */
  long firstIndexOfTermAt(long index) {
    long term = term(index);
    long i = index;
    long floor = Math.max(committed + 1, firstIndex());
    while (i > floor && term(i - 1) == term) {
      i--;
    }
    return i;
  }

  /** The last index at or below {@code index} whose entry has term {@code term}, or -1. */
  long lastIndexOfTerm(long term, long index) {
    long i = Math.min(index, lastIndex());
    while (i >= offsetIndex) {
      long t = term(i);
      if (t == term) {
        return i;
      }
      if (t < term) {
        return -1;
      }
      i--;
    }
    return -1;
  }

  void commitTo(long index) {
    if (index <= committed) {
      return;
    }
    if (index > lastIndex()) {
      throw new IllegalStateException(
          "commit " + index + " is past the last log index " + lastIndex());
    }
    committed = index;
  }

  /** Entries the driver has not persisted yet (after {@link #stableIndex()}). */
  List<Entry> unstableEntries() {
    if (stableIndex >= lastIndex()) {
      return List.of();
    }
    return new ArrayList<>(entries.subList((int) (stableIndex - offsetIndex), entries.size()));
  }

  /** Committed entries not yet handed to the driver for applying. */
  List<Entry> nextCommittedEntries() {
    if (applied >= committed) {
      return List.of();
    }
    return new ArrayList<>(
        entries.subList((int) (applied - offsetIndex), (int) (committed - offsetIndex)));
  }

  void stableTo(long index, long term) {
    if (index > stableIndex && matchTerm(index, term)) {
      stableIndex = index;
      evict();
    }
  }

  void appliedTo(long index) {
    if (index > committed || index < applied) {
      throw new IllegalStateException(
          "applied " + index + " outside (" + applied + ", " + committed + "]");
    }
    applied = index;
    evict();
  }

  /** The driver took a snapshot; entries up to {@code compactIndex} can be dropped. */
  void compact(SnapshotMeta newSnapshot, long compactIndex) {
    if (newSnapshot.index() > applied) {
      throw new IllegalStateException(
          "snapshot at " + newSnapshot.index() + " is past applied index " + applied);
    }
    if (compactIndex > newSnapshot.index()) {
      throw new IllegalArgumentException(
          "compact index " + compactIndex + " past snapshot " + newSnapshot.index());
    }
    if (!matchTerm(newSnapshot.index(), newSnapshot.term())) {
      throw new IllegalArgumentException("snapshot " + newSnapshot + " does not match the log");
    }
    // Not the newest configuration: one appended after the snapshot's index may never commit, and
    // a follower installing the snapshot would take it for the one in force.
    if (!newSnapshot.config().equals(configAt(newSnapshot.index()))) {
      throw new IllegalArgumentException(
          "snapshot "
              + newSnapshot
              + " carries another configuration than "
              + configAt(newSnapshot.index())
              + ", the one in force at its index");
    }
    if (snapshot == null || newSnapshot.index() > snapshot.index()) {
      snapshot = newSnapshot;
    }
    if (compactIndex <= offsetIndex) {
      return;
    }
    long newOffsetTerm = term(compactIndex);
    baseConfig = configAt(compactIndex);
    configs.headMap(compactIndex, true).clear();
    List<Entry> dropped = entries.subList(0, (int) (compactIndex - offsetIndex));
    for (Entry e : dropped) {
      inMemoryBytes -= e.sizeBytes(); // 0 for an evicted one
    }
    dropped.clear();
    offsetIndex = compactIndex;
    offsetTerm = newOffsetTerm;
    evictedThrough = Math.max(evictedThrough, offsetIndex);
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  void restore(SnapshotMeta received) {
    entries.clear();
    inMemoryBytes = 0;
    configs.clear();
    baseConfig = received.config();
    offsetIndex = received.index();
    offsetTerm = received.term();
    snapshot = received;
    committed = received.index();
    applied = received.index();
    stableIndex = received.index();
    evictedThrough = received.index();
  }
}
