package dev.ballot.storage;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * Storage in memory for simulation and tests. It behaves like RocksDB's write-ahead log: writes
 * apply in order and reads see all of them; a sync makes every write so far durable; a {@link
 * #crash()} throws away the writes since the last sync, each one whole. So what survives a crash is
 * always a prefix of the writes, as on the real disk.
 */
public final class InMemoryRaftStorage implements RaftStorage {

  /** One write. Applying it either throws and changes nothing, or succeeds whole. */
  private interface Write {
    void applyTo(State state);
  }

  /** What a restart finds. */
  private final State synced = new State();

  /** What the running process reads: {@link #synced} with {@link #unsynced} applied in order. */
  private State latest = new State();

  private final List<Write> unsynced = new ArrayList<>();
  private int syncCount;

  /** The image of one disk state. */
  private static final class State {
    HardState hardState = HardState.EMPTY;
    SnapshotMeta snapshot;

    /** Ascending by index; may start at or below the snapshot (entries kept for catch-up). */
    final ArrayList<Entry> entries = new ArrayList<>();

    State copy() {
      State s = new State();
      s.hardState = hardState;
      s.snapshot = snapshot;
      s.entries.addAll(entries);
      return s;
    }

    // Each operation checks everything before it mutates anything.
    void save(SnapshotMeta newSnapshot, List<Entry> newEntries, HardState newHardState) {
      if (!newEntries.isEmpty()) {
        long first = newEntries.get(0).index();
        long lastIndex = newSnapshot != null || entries.isEmpty() ? 0 : lastEntry().index();
        long snapshotIndex = newSnapshot != null ? newSnapshot.index() : offset();
        if (first > Math.max(lastIndex, snapshotIndex) + 1) {
          throw new IllegalStateException(
              "write would leave a gap: first new index "
                  + first
                  + ", last stored index "
                  + lastIndex
                  + ", snapshot index "
                  + snapshotIndex);
        }
      }
      if (newSnapshot != null) {
        snapshot = newSnapshot;
        // A snapshot from the leader replaces the whole log, as the core's log does.
        entries.clear();
      }
      if (!newEntries.isEmpty()) {
        long first = newEntries.get(0).index();
        while (!entries.isEmpty() && lastEntry().index() >= first) {
          entries.remove(entries.size() - 1);
        }
        entries.addAll(newEntries);
      }
      if (newHardState != null) {
        hardState = newHardState;
      }
    }

    void saveSnapshotMeta(SnapshotMeta newSnapshot) {
      if (snapshot == null || newSnapshot.index() > snapshot.index()) {
        snapshot = newSnapshot;
      }
    }

    void compact(long index) {
      if (offset() < index) {
        throw new IllegalStateException(
            "compaction to "
                + index
                + " is not covered by a snapshot (snapshot index "
                + offset()
                + ")");
      }
      entries.removeIf(e -> e.index() <= index);
    }

    Entry lastEntry() {
      return entries.get(entries.size() - 1);
    }

    long offset() {
      return snapshot == null ? 0 : snapshot.index();
    }
  }

  @Override
  public List<Entry> read(long lo, long hi, long maxBytes) {
    List<Entry> out = new ArrayList<>();
    long bytes = 0;
    for (Entry e : latest.entries) {
      if (e.index() < lo || e.index() >= hi) {
        continue;
      }
      bytes += e.sizeBytes();
      if (!out.isEmpty() && bytes > maxBytes) {
        break;
      }
      out.add(e);
    }
    return out;
  }

  @Override
  public RestoredState load() {
    long offset = latest.offset();
    List<Entry> after = latest.entries.stream().filter(e -> e.index() > offset).toList();
    return new RestoredState(latest.hardState, latest.snapshot, after, offset);
  }

  @Override
  public void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync) {
    List<Entry> copy = List.copyOf(entries);
    for (int i = 1; i < copy.size(); i++) {
      if (copy.get(i).index() != copy.get(0).index() + i) {
        throw new IllegalArgumentException("entries to save are not contiguous at " + copy.get(i));
      }
    }
    write(s -> s.save(snapshot, copy, hardState));
    if (sync) {
      sync();
    }
  }

  @Override
  public void saveSnapshotMeta(SnapshotMeta snapshot) {
    write(s -> s.saveSnapshotMeta(snapshot));
    // A synced write, which on the real disk makes every earlier write durable too.
    sync();
  }

  @Override
  public void compact(long index) {
    // Not synced: a crash may undo it, which loses nothing that the snapshot does not cover.
    write(s -> s.compact(index));
  }

  /** Makes every write so far durable. */
  public void sync() {
    for (Write w : unsynced) {
      w.applyTo(synced);
    }
    unsynced.clear();
    syncCount++;
  }

  /** A power failure: writes not synced are gone. */
  public void crash() {
    crash(0);
  }

  /**
   * A power failure after the disk had written the first {@code keepUnsynced} of the writes since
   * the last sync (whole, in order) and none of the others.
   */
  public void crash(int keepUnsynced) {
    if (keepUnsynced < 0 || keepUnsynced > unsynced.size()) {
      throw new IllegalArgumentException(
          "keep " + keepUnsynced + " of " + unsynced.size() + " unsynced writes");
    }
    for (Write w : unsynced.subList(0, keepUnsynced)) {
      w.applyTo(synced);
    }
    unsynced.clear();
    latest = synced.copy();
  }

  public int syncCount() {
    return syncCount;
  }

  /** Entries on "disk" right now, synced or not (what a running process would read back). */
  public List<Entry> entries() {
    return List.copyOf(latest.entries);
  }

  /** Applies the write to what the process sees, and only if that succeeds queues it for sync. */
  private void write(Write w) {
    w.applyTo(latest);
    unsynced.add(w);
  }

  @Override
  public void close() {}
}
