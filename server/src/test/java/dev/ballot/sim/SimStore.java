package dev.ballot.sim;

import dev.ballot.node.StateMachine;
import dev.ballot.raft.SnapshotMeta;

/**
 * A node's replicated state as the simulation sees it: the durable data that outlives a crash, the
 * state machine a fresh incarnation opens over it, and the snapshots the transport carries. Its
 * writes go to the node's {@link SimWal}, which also makes them durable.
 *
 * @param <R> what applying a command returns
 */
interface SimStore<R> {
  /** A state machine over the data as it is now (after a restart: what survived). */
  StateMachine<R> open();

  /**
   * Power loss: keeps the durable data and the first {@code keepUnsynced} writes made since (the
   * node's {@link SimWal} decides how many), never half of one.
   */
  void crash(int keepUnsynced);

  /** A hash of the whole state, for comparing nodes at the same applied index. */
  long hash();

  long appliedIndex();

  /** The snapshot this node holds at {@code meta}, as it travels to a follower. */
  Object snapshotImage(SnapshotMeta meta);

  /** A snapshot received from the leader, to install when the driver says so. */
  void stage(SnapshotMeta meta, Object image);
}
