package dev.ballot.node;

/**
 * Why the node could not take a request. Every kind but {@link Kind#STOPPED} means nothing was
 * written; a proposal failed with STOPPED may already be in the log, so its outcome is unknown.
 */
public final class NodeException extends RuntimeException {
  /** The reasons a request is refused before it reaches the log, or lost from it. */
  public enum Kind {
    /** This node is a follower; {@link #leaderId()} is the leader it knows. */
    NOT_LEADER,
    /** No leader is known (an election is under way, or no quorum is reachable). */
    NO_LEADER,
    /**
     * This node leads but is handing leadership to another (a transfer): nothing was written, and
     * the new leader takes over within moments. Clients see etcd's "no leader".
     */
    HANDING_OVER,
    /** Too many proposals are waiting for the log; back off and retry. */
    OVERLOADED,
    /** The proposal was in the log but a new leader replaced it: it will never apply. */
    LEADER_CHANGED,
    /** The node is shutting down; a proposal's outcome is unknown. */
    STOPPED,
    /** A membership change was refused: another is pending, or it is not a single change. */
    CONFIG_REFUSED
  }

  private final Kind kind;
  private final long leaderId;

  public NodeException(Kind kind, long leaderId, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.leaderId = leaderId;
  }

  public Kind kind() {
    return kind;
  }

  public long leaderId() {
    return leaderId;
  }
}
