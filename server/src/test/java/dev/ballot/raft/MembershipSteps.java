package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

/**
 * Membership changes driven to completion on a {@link RaftNetwork}, as the server's membership
 * layer would do them: propose on the leader, deliver until committed, start the joiner.
 */
final class MembershipSteps {
  private MembershipSteps() {}

  static ClusterConfig config(List<Long> voters, List<Long> learners) {
    return new ClusterConfig(voters, learners);
  }

  /**
   * Leader {@code leader} adds {@code id} as a learner; once that commits, the node starts with an
   * empty log and the committed configuration, and is caught up. Returns the entry's index.
   */
  static long addLearner(RaftNetwork net, long leader, long id) throws Exception {
    ClusterConfig before = net.node(leader).cluster();
    List<Long> learners = new ArrayList<>(before.learners());
    learners.add(id);
    long index = net.proposeConfig(leader, config(before.voters(), learners));
    net.deliverAll();
    assertThat(net.node(leader).commitIndex()).as("the learner is added").isGreaterThan(index - 1);
    net.addNode(id, net.node(leader).cluster());
    net.tickUntil(() -> net.node(id).lastIndex() == net.node(leader).lastIndex(), 100);
    return index;
  }

  /** Leader {@code leader} promotes learner {@code id}; returns the entry's index. */
  static long promote(RaftNetwork net, long leader, long id) throws Exception {
    ClusterConfig before = net.node(leader).cluster();
    return net.proposeConfig(
        leader, before.apply(new ClusterConfig.Change(ClusterConfig.ChangeKind.PROMOTE, id)));
  }

  /** Leader {@code leader} removes member {@code id}; returns the entry's index. */
  static long remove(RaftNetwork net, long leader, long id) throws Exception {
    ClusterConfig before = net.node(leader).cluster();
    return net.proposeConfig(
        leader, before.apply(new ClusterConfig.Change(ClusterConfig.ChangeKind.REMOVE, id)));
  }
}
