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

  /** The kinds of single-server change (thesis 4.1): one node added, promoted or removed. */
  public enum ChangeKind {
    ADD_LEARNER,
    PROMOTE,
    REMOVE
  }

  /** One single-server change: what happens to which node. */
  public record Change(ChangeKind kind, long nodeId) {}

  /**
   * The single-server change that turns this configuration into {@code next}.
   *
   * @throws IllegalArgumentException if {@code next} differs by anything other than one node added
   *     as a learner, one learner promoted, or one member removed
   */
  public Change changeTo(ClusterConfig next) {
    TreeSet<Long> added = new TreeSet<>(next.members());
    added.removeAll(members());
    TreeSet<Long> removed = new TreeSet<>(members());
    removed.removeAll(next.members());
    TreeSet<Long> promoted = new TreeSet<>(next.voters);
    promoted.retainAll(learners);
    TreeSet<Long> demoted = new TreeSet<>(next.learners);
    demoted.retainAll(voters);
    int changes = added.size() + removed.size() + promoted.size() + demoted.size();
    if (changes != 1) {
      throw new IllegalArgumentException(
          "one member may change at a time: " + this + " -> " + next);
    }
    if (!added.isEmpty()) {
      if (!next.learners.contains(added.first())) {
        throw new IllegalArgumentException(
            "node " + added.first() + " must join as a learner before it can vote");
      }
      return new Change(ChangeKind.ADD_LEARNER, added.first());
    }
    if (!removed.isEmpty()) {
      return new Change(ChangeKind.REMOVE, removed.first());
    }
    if (!promoted.isEmpty()) {
      return new Change(ChangeKind.PROMOTE, promoted.first());
    }
    throw new IllegalArgumentException("voter " + demoted.first() + " cannot become a learner");
  }

  /** This configuration after {@code change}. */
  public ClusterConfig apply(Change change) {
    List<Long> v = new ArrayList<>(voters);
    List<Long> l = new ArrayList<>(learners);
    long id = change.nodeId();
    switch (change.kind()) {
      case ADD_LEARNER -> {
        if (isMember(id)) {
          throw new IllegalArgumentException("node " + id + " is already a member");
        }
        l.add(id);
      }
      case PROMOTE -> {
        if (!l.remove(id)) {
          throw new IllegalArgumentException("node " + id + " is not a learner");
        }
        v.add(id);
      }
      case REMOVE -> {
        if (!v.remove(id) && !l.remove(id)) {
          throw new IllegalArgumentException("node " + id + " is not a member");
        }
      }
    }
    return new ClusterConfig(v, l);
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
