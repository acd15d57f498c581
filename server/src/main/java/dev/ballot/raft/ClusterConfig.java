package dev.ballot.raft;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Who is in the cluster: voters decide elections and commits, learners only receive the log. Ids
 * are kept sorted so that iteration order is deterministic everywhere.
 */
public record ClusterConfig(List<Long> voters, List<Long> learners) {

  public ClusterConfig {
    voters = sortedCopy(voters);
    learners = sortedCopy(learners);
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one voter");
    }
    for (long id : learners) {
      if (voters.contains(id)) {
        throw new IllegalArgumentException("node " + id + " is both voter and learner");
      }
    }
  }

  public static ClusterConfig ofVoters(Collection<Long> voters) {
    return new ClusterConfig(new ArrayList<>(voters), List.of());
  }

  public boolean isVoter(long id) {
    return voters.contains(id);
  }

  public boolean isMember(long id) {
    return voters.contains(id) || learners.contains(id);
  }

  /** Votes or acks needed for a majority of the voters. */
  public int quorum() {
    return voters.size() / 2 + 1;
  }

  /** Voters and learners, ascending. */
  public List<Long> members() {
    TreeSet<Long> all = new TreeSet<>(voters);
    all.addAll(learners);
    return List.copyOf(all);
  }

  private static List<Long> sortedCopy(Collection<Long> ids) {
    TreeSet<Long> sorted = new TreeSet<>(ids);
    if (sorted.size() != ids.size()) {
      throw new IllegalArgumentException("duplicate node id in " + ids);
    }
    for (long id : sorted) {
      if (id <= 0) {
        throw new IllegalArgumentException("node ids are positive: " + id);
      }
    }
    return List.copyOf(sorted);
  }
}
