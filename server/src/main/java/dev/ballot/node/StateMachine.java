package dev.ballot.node;

import dev.ballot.raft.Entry;

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

  /** Advances past a committed entry that carries no client command (no-op, configuration). */
  void applyEmpty(long index);
}
