package dev.ballot.node;

/**
 * What the driver and its apply loop report as they work, for the node's metrics. Every method is
 * called on the thread doing the work (driver, apply or sender thread) and must return at once; the
 * default does nothing, which is what the simulation runs with.
 */
public interface NodeMetrics {
  NodeMetrics NONE = new NodeMetrics() {};

  /** {@code count} commands went into the log in one batch (this node leads). */
  default void proposed(int count) {}

  /** {@code count} proposals were refused (no leader, overloaded, handing over). */
  default void proposalsRefused(int count) {}

  /** A proposal of this node was applied {@code nanos} after it was proposed. */
  default void committed(long nanos) {}

  /** A proposal of this node ended without being applied (its entry was replaced, or stopped). */
  default void proposalFailed() {}

  /** One durable log write (entries, hard state, sync) of {@code entries} entries. */
  default void logSynced(long nanos, int entries) {}

  /** The apply loop applied {@code entries} committed entries in {@code nanos}. */
  default void applied(int entries, long nanos) {}

  /**
   * Since the last call, this node started so many pre-vote rounds and elections, and won so many.
   */
  default void campaigns(long preVotes, long elections, long won) {}

  /** The node's role, leader or term changed (before is null at start). */
  default void statusChanged(NodeStatus before, NodeStatus after) {}

  /** This node took a snapshot of its state. */
  default void snapshotTaken() {}

  /** This node installed a snapshot sent by its leader. */
  default void snapshotInstalled() {}

  /** This node finished sending a snapshot to a follower ({@code ok} false: it failed). */
  default void snapshotSent(boolean ok) {}
}
