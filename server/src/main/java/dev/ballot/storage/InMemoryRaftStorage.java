package dev.ballot.storage;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * Storage in memory for simulation and tests. It keeps what a disk would keep apart: the synced
 * state, and writes made without sync that a {@link #crash()} throws away. An unsynced write is
 * kept whole or lost whole, like a RocksDB WriteBatch.
 */
public final class InMemoryRaftStorage implements RaftStorage {

  private record Write(SnapshotMeta snapshot, List<Entry> entries, HardState hardState) {}

  private State synced = new State();
  private final List<Write> unsynced = new ArrayList<>();
  private int syncCount;

  /** The image of one disk state. */
  private static final class State {
    HardState hardState = HardState.EMPTY;
    SnapshotMeta snapshot;
    final ArrayList<Entry> entries = new ArrayList<>();

    State copy() {
      State s = new State();
      s.hardState = hardState;
      s.snapshot = snapshot;
      s.entries.addAll(entries);
      return s;
    }

    void apply(Write w) {
      if (w.snapshot() != null) {
        snapshot = w.snapshot();
        // A snapshot from the leader replaces the whole log.
        entries.clear();
      }
      if (!w.entries().isEmpty()) {
        long first = w.entries().get(0).index();
        entries.removeIf(e -> e.index() >= first);
        long expected =
            entries.isEmpty() ? offset() + 1 : entries.get(entries.size() - 1).index() + 1;
        if (first > expected) {
          throw new IllegalStateException(
              "write would leave a gap: first new index " + first + ", expected " + expected);
        }
        entries.addAll(w.entries());
      }
      if (w.hardState() != null) {
        hardState = w.hardState();
      }
    }

    long offset() {
      return snapshot == null ? 0 : snapshot.index();
    }
  }

  @Override
  public RestoredState load() {
    State s = current();
    long offset = s.offset();
    List<Entry> after = s.entries.stream().filter(e -> e.index() > offset).toList();
    return new RestoredState(s.hardState, s.snapshot, after, offset);
  }

  @Override
  public void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync) {
    Write w = new Write(snapshot, List.copyOf(entries), hardState);
    unsynced.add(w);
    // Validate the write against the state it lands on before accepting it.
    current();
    if (sync) {
      sync();
    }
  }

  @Override
  public void saveSnapshotMeta(SnapshotMeta snapshot) {
    if (synced.snapshot == null || snapshot.index() > synced.snapshot.index()) {
      synced.snapshot = snapshot;
    }
  }

  @Override
  public void compact(long index) {
    if (synced.snapshot == null || synced.snapshot.index() < index) {
      throw new IllegalStateException("compaction to " + index + " is not covered by a snapshot");
    }
    // Dropping entries a snapshot covers loses nothing, so it needs no sync of its own.
    synced.entries.removeIf(e -> e.index() <= index);
  }

  /** Makes every write so far durable. */
  public void sync() {
    for (Write w : unsynced) {
      synced.apply(w);
    }
    unsynced.clear();
    syncCount++;
  }

  /** A power failure: writes not synced are gone. */
  public void crash() {
    unsynced.clear();
  }

  public int syncCount() {
    return syncCount;
  }

  /** Entries on "disk" right now, synced or not (what a running process would read back). */
  public List<Entry> entries() {
    return List.copyOf(current().entries);
  }

  private State current() {
    if (unsynced.isEmpty()) {
      return synced;
    }
    State s = synced.copy();
    for (Write w : unsynced) {
      s.apply(w);
    }
    return s;
  }

  @Override
  public void close() {}
}
