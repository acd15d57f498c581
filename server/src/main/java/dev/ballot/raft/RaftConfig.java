package dev.ballot.raft;

/**
 * Tunables of one Raft node. Time is counted in ticks; the driver decides how long a tick is.
 *
 * @param nodeId this node's id (positive)
 * @param electionTimeoutTicks T: a follower campaigns after a random timeout in [T, 2T) ticks
 * @param heartbeatIntervalTicks a leader sends heartbeats every this many ticks
 * @param preVote run a pre-vote round before incrementing the term (thesis 9.6)
 * @param checkQuorum a leader that has not heard from a majority for T ticks steps down
 * @param maxInflightAppends AppendEntries messages in flight to one follower at most
 * @param maxAppendBytes payload bytes in one AppendEntries at most (one entry is always allowed)
 * @param maxUncommittedBytes payload bytes appended but not committed at most; beyond it proposals
 *     are refused
 * @param maxInMemoryLogBytes payload bytes of entries the log keeps in memory at most (older ones,
 *     applied and persisted, are read back through a {@link LogReader})
 */
public record RaftConfig(
    long nodeId,
    int electionTimeoutTicks,
    int heartbeatIntervalTicks,
    boolean preVote,
    boolean checkQuorum,
    int maxInflightAppends,
    long maxAppendBytes,
    long maxUncommittedBytes,
    long maxInMemoryLogBytes) {

  public RaftConfig {
    if (nodeId <= 0) {
      throw new IllegalArgumentException("nodeId must be positive: " + nodeId);
    }
    if (heartbeatIntervalTicks < 1 || electionTimeoutTicks <= heartbeatIntervalTicks) {
      throw new IllegalArgumentException(
          "need 1 <= heartbeatIntervalTicks < electionTimeoutTicks, got "
              + heartbeatIntervalTicks
              + " and "
              + electionTimeoutTicks);
    }
    if (maxInflightAppends < 1
        || maxAppendBytes < 1
        || maxUncommittedBytes < 1
        || maxInMemoryLogBytes < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** Defaults: election timeout 10 ticks, heartbeat every tick, pre-vote and check-quorum on. */
  public static Builder builder(long nodeId) {
    return new Builder(nodeId);
  }

  public static RaftConfig defaults(long nodeId) {
    return builder(nodeId).build();
  }

  /** Builds a {@link RaftConfig} from the defaults. */
  public static final class Builder {
    private final long nodeId;
    private int electionTimeoutTicks = 10;
    private int heartbeatIntervalTicks = 1;
    private boolean preVote = true;
    private boolean checkQuorum = true;
    private int maxInflightAppends = 256;
    private long maxAppendBytes = 1 << 20;
    private long maxUncommittedBytes = 64L << 20;
    private long maxInMemoryLogBytes = Long.MAX_VALUE;

    private Builder(long nodeId) {
      this.nodeId = nodeId;
    }

    public Builder ticks(int electionTimeoutTicks, int heartbeatIntervalTicks) {
      this.electionTimeoutTicks = electionTimeoutTicks;
      this.heartbeatIntervalTicks = heartbeatIntervalTicks;
      return this;
    }

    public Builder preVote(boolean preVote) {
      this.preVote = preVote;
      return this;
    }

    public Builder checkQuorum(boolean checkQuorum) {
      this.checkQuorum = checkQuorum;
      return this;
    }

    public Builder maxInflightAppends(int maxInflightAppends) {
      this.maxInflightAppends = maxInflightAppends;
      return this;
    }

    public Builder maxAppendBytes(long maxAppendBytes) {
      this.maxAppendBytes = maxAppendBytes;
      return this;
    }

    public Builder maxUncommittedBytes(long maxUncommittedBytes) {
      this.maxUncommittedBytes = maxUncommittedBytes;
      return this;
    }

    /**
     * Payload bytes of log entries kept in memory at most; older ones (applied and persisted) are
     * read back through the node's {@link LogReader} when needed. Unbounded by default.
     */
    public Builder maxInMemoryLogBytes(long maxInMemoryLogBytes) {
      this.maxInMemoryLogBytes = maxInMemoryLogBytes;
      return this;
    }

    public RaftConfig build() {
      return new RaftConfig(
          nodeId,
          electionTimeoutTicks,
          heartbeatIntervalTicks,
          preVote,
          checkQuorum,
          maxInflightAppends,
          maxAppendBytes,
          maxUncommittedBytes,
          maxInMemoryLogBytes);
    }
  }
}
