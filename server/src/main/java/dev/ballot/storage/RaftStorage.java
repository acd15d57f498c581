package dev.ballot.storage;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.LogReader;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.util.List;

/**
 * The durable half of a Raft node: hard state, log and snapshot metadata. The core never touches
 * it; the driver writes each {@link dev.ballot.raft.Ready} here and reads everything back with
 * {@link #load()} at start-up.
 */
public interface RaftStorage extends AutoCloseable, LogReader {

  /**
   * Reads back what was persisted, checking every entry's checksum and that the log is contiguous.
   * The returned applied index is the snapshot's (the state machine knows better; the driver
   * overrides it).
   *
   * @throws StorageCorruptionException if anything stored is damaged; nothing is repaired silently
   */
  RestoredState load();

  /**
   * What the core restarts from, given the state machine's durable applied index: {@link #load()}
   * with the applied index the core may assume. The state machine may be ahead of the stored commit
   * index (its writes and the commit index are not synced together), so the core starts from the
   * lower of the two and the apply loop skips what the state machine already holds.
   *
   * @throws StorageCorruptionException if the state machine is behind the snapshot the log starts
   *     after: the entries between are gone, so nothing can bring it up to date
   */
  default RestoredState loadForStateMachineAt(long stateMachineAppliedIndex) {
    RestoredState restored = load();
    long snapshotIndex = restored.snapshot() == null ? 0 : restored.snapshot().index();
    if (stateMachineAppliedIndex < snapshotIndex) {
      throw new StorageCorruptionException(
          "the state machine is at index "
              + stateMachineAppliedIndex
              + ", behind the snapshot at "
              + snapshotIndex
              + " that the log starts after");
    }
    long applied =
        Math.max(
            snapshotIndex, Math.min(stateMachineAppliedIndex, restored.hardState().commitIndex()));
    return new RestoredState(
        restored.hardState(), restored.snapshot(), restored.entries(), applied);
  }

  /**
   * Persists one Ready atomically, in one write: first {@code snapshot} (if not null: every entry
   * up to its index is dropped), then {@code entries} (replacing every stored entry at or after the
   * first one's index), then {@code hardState} (if not null). With {@code sync} the write is on
   * disk when this returns; without it, a crash may lose it (never partly).
   */
  void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync);

  /**
   * Records, durably, that the state machine holds a snapshot at {@code snapshot}; the log is left
   * as it is. After a restart {@link #load()} resumes from the newest recorded snapshot.
   */
  void saveSnapshotMeta(SnapshotMeta snapshot);

  /**
   * Reads stored entries [lo, hi) back (for a core that keeps only the newest in memory): at most
   * {@code maxBytes} of payload but at least one, each checked like {@link #load()}'s.
   */
  @Override
  List<Entry> read(long lo, long hi, long maxBytes);

  /** Deletes the entries up to and including {@code index}; a snapshot must cover them. */
  void compact(long index);

  @Override
  void close();
}
