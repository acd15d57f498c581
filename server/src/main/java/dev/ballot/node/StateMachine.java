package dev.ballot.node;

import dev.ballot.raft.Entry;
import dev.ballot.raft.SnapshotMeta;
import java.util.function.LongConsumer;
import java.util.function.LongUnaryOperator;

/**
 * The replicated state machine the driver applies committed entries to, on the apply thread only.
 *
 * @param <R> what applying one command returns to the client that proposed it
 */
public interface StateMachine<R> {
  /** The last index applied, as durable as the data it describes. */
  long appliedIndex();

  /** Applies a committed client command at {@code entry.index()}. */
  R apply(Entry entry);

  /**
   * Ends a run of {@link #apply} calls: whatever they applied is written and readable once this
   * returns. The apply loop calls it after each batch of committed entries, before it answers any
   * proposal of the batch or reports the batch applied; until then a state machine may hold the
   * batch's writes back and write them together (its {@link #appliedIndex} still tells what is
   * written). The other methods write what they apply before they return.
   */
  default void endBatch() {}

  /**
   * Sets who learns, on the apply thread, that the entries applied up to an index are written when
   * that happens inside {@link #apply} (a held-back batch written before a command that cannot
   * wait, which may then take long): the apply loop answers their proposals at once.
   */
  default void onWritten(LongConsumer written) {}

  /** Advances past a committed entry that carries no client command (a no-op). */
  void applyEmpty(long index);

  /** Applies a committed configuration entry (its payload is a {@code ConfigEntry}). */
  default void applyConfig(Entry entry) {
    applyEmpty(entry.index());
  }

  /** The index of the newest snapshot this state machine has taken or installed; 0 if none. */
  default long snapshotIndex() {
    return 0;
  }

  /**
   * Takes a durable snapshot of the state as it is when the take reaches it. Called off the apply
   * thread, which goes on applying meanwhile (never installing), so the snapshot is at the index
   * applied when it was asked for or at a later one; {@code termAt} gives the term of any entry
   * applied since then.
   */
  default SnapshotMeta takeSnapshot(LongUnaryOperator termAt) {
    throw new UnsupportedOperationException("this state machine takes no snapshots");
  }

  /** Replaces the whole state by the snapshot received from the leader for {@code snapshot}. */
  default void installSnapshot(SnapshotMeta snapshot) {
    throw new UnsupportedOperationException("this state machine installs no snapshots");
  }
}
