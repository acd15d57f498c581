package dev.ballot.raft;

import java.util.TreeMap;

/** Votes received in one election round; only voters count, each once. */
final class VoteTally {
  private final ClusterConfig cluster;
  private final TreeMap<Long, Boolean> votes = new TreeMap<>();

  VoteTally(ClusterConfig cluster) {
    this.cluster = cluster;
  }

  void record(long voter, boolean granted) {
    if (cluster.isVoter(voter)) {
      votes.putIfAbsent(voter, granted);
    }
  }

  boolean answered(long voter) {
    return votes.containsKey(voter);
  }

  boolean won() {
    return count(true) >= cluster.quorum();
  }

  boolean lost() {
    return count(false) > cluster.voters().size() - cluster.quorum();
  }

  private long count(boolean granted) {
    return votes.values().stream().filter(v -> v == granted).count();
  }
}
