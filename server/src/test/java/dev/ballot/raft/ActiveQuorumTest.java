package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader's view of which voters are alive, as a membership change checks it before proposing: a
 * configuration whose voters the leader has not heard from (a majority of them, itself counted)
 * within an election timeout could never commit.
 */
class ActiveQuorumTest {
  private static final int T = 10;

  private static ClusterConfig voters(Long... ids) {
    return ClusterConfig.ofVoters(List.of(ids));
  }

  @Test
  void everyVoterAnsweringMakesEveryConfigurationOfThemLive() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    net.tickAndDeliver(2);

    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L, 3L))).isTrue();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 3L))).isTrue();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L))).isTrue();
  }

  @Test
  void removingALiveFollowerWhileAnotherVoterIsDownLeavesNoLiveMajority() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    net.tickAndDeliver(2);
    net.isolate(3);
    net.tickAndDeliver(T + 1);

    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L, 3L))).as("today's config").isTrue();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 3L))).as("without 2, the live one").isFalse();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L))).as("without 3, the dead one").isTrue();
  }

  @Test
  void aVoterThatAnswersAgainCountsAgain() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    net.isolate(3);
    net.tickAndDeliver(T + 1);
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 3L))).isFalse();

    net.heal();
    net.tickAndDeliver(2);
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 3L))).isTrue();
  }

  @Test
  void aFreshLeaderCountsOnlyFollowersThatAnsweredIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.isolate(3);
    net.elect(1);

    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L))).isTrue();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 2L, 3L))).isTrue();
    assertThat(net.node(1).hasActiveQuorum(voters(1L, 3L)))
        .as("3 never answered this leader")
        .isFalse();
  }

  @Test
  void promotingALearnerThatDoesNotAnswerWhileAVoterIsDownLeavesNoLiveMajority() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    MembershipSteps.addLearner(net, 1, 4);
    ClusterConfig promoted =
        net.node(1).cluster().apply(new ClusterConfig.Change(ClusterConfig.ChangeKind.PROMOTE, 4));
    net.tickAndDeliver(2);
    assertThat(net.node(1).hasActiveQuorum(promoted)).as("everyone answers").isTrue();

    // The learner stops answering (far behind, stalled) and voter 3 goes down: 4 voters after the
    // promotion need 3 live ones, and only 1 and 2 are.
    net.isolate(4);
    net.tickAndDeliver(T + 1);
    assertThat(net.node(1).hasActiveQuorum(promoted)).as("1, 2, 3 live of 4").isTrue();
    net.partition(List.of(1L, 2L), List.of(3L), List.of(4L));
    net.tickAndDeliver(T + 1);
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).hasActiveQuorum(net.node(1).cluster())).as("today's").isTrue();
    assertThat(net.node(1).hasActiveQuorum(promoted)).as("1, 2 live of 4").isFalse();
  }

  @Test
  void onlyTheLeaderJudges() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    net.tickAndDeliver(2);

    assertThat(net.node(2).hasActiveQuorum(voters(1L, 2L, 3L))).isFalse();
  }
}
