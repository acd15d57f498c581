package dev.ballot.raft;

/**
 * The part of a node's Raft state that must be on disk before anything that depends on it is sent:
 * the current term, the vote cast in it, and the commit index.
 */
public record HardState(long term, long votedFor, long commitIndex) {
  public static final HardState EMPTY = new HardState(0, RaftNode.NONE, 0);

  public HardState {
    if (term < 0 || commitIndex < 0) {
      throw new IllegalArgumentException("negative term or commit: " + term + "/" + commitIndex);
    }
  }
}
