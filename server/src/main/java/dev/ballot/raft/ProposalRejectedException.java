package dev.ballot.raft;

/** A proposal or read the core cannot take now. Nothing was appended; the caller may retry. */
public final class ProposalRejectedException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why the core refused. */
  public enum Reason {
    /** This node is not the leader; {@link #leaderHint()} names the leader if one is known. */
    NOT_LEADER,
    /** Too many bytes are proposed but not committed yet: back-pressure. */
    TOO_MANY_UNCOMMITTED_BYTES,
    /** The leader is handing leadership to another node and takes no proposals meanwhile. */
    LEADERSHIP_TRANSFER,
    /**
     * A configuration change is not committed yet, or the leader has not committed in its term:
     * retry the change later.
     */
    CONFIG_CHANGE_PENDING,
    /** The configuration change is not one single-server change from the current one. */
    INVALID_CONFIG_CHANGE
  }

  private final Reason reason;
  private final long leaderHint;

  public ProposalRejectedException(Reason reason, long leaderHint, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.leaderHint = leaderHint;
  }

  public Reason reason() {
    return reason;
  }

  /** The leader this node knows of, or {@link RaftNode#NONE}. */
  public long leaderHint() {
    return leaderHint;
  }
}
