package dev.ballot.raft;

import static dev.ballot.raft.MembershipSteps.addLearner;
import static dev.ballot.raft.MembershipSteps.config;
import static dev.ballot.raft.MembershipSteps.promote;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.RequestVote;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A learner receives the log but counts in no quorum: commit, check-quorum, ReadIndex, votes. */
class LearnerTest {
  private static final int T = 10;

  /** Voters 1-3 led by 1, and learner 4 that has joined and caught up. */
  private static RaftNetwork threeVotersAndALearner() throws Exception {
    return threeVotersAndALearner(b -> b.ticks(T, 1));
  }

  private static RaftNetwork threeVotersAndALearner(UnaryOperator<RaftConfig.Builder> tuning)
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, tuning);
    net.elect(1);
    addLearner(net, 1, 4);
    assertThat(net.node(4).cluster()).isEqualTo(config(List.of(1L, 2L, 3L), List.of(4L)));
    return net;
  }

  @Test
  void learnerIsReplicatedToButItsAckMakesNoCommit() throws Exception {
    RaftNetwork net = threeVotersAndALearner();
    net.partition(List.of(1L, 4L)); // the other voters are cut off: only the learner answers
    long commitBefore = net.node(1).commitIndex();

    long index = net.propose(1, "only the learner has it");
    net.deliverAll();

    assertThat(net.node(4).lastIndex()).isEqualTo(index);
    assertThat(net.node(1).matchIndex(4)).isEqualTo(index);
    assertThat(net.node(1).commitIndex()).isEqualTo(commitBefore);
    assertThat(net.appliedCommands(1)).doesNotContain("only the learner has it");

    net.heal();
    net.tickAndDeliver(1);
    assertThat(net.node(1).commitIndex()).isEqualTo(index);
    assertThat(net.appliedCommands(4)).containsExactly("only the learner has it");
  }

  @Test
  void leaderThatHearsOnlyFromALearnerStepsDown() throws Exception {
    RaftNetwork net = threeVotersAndALearner();
    long term = net.node(1).term();
    net.partition(List.of(1L, 4L));

    int ticks = 0;
    while (net.node(1).role() == Role.LEADER && ticks <= 3 * T) {
      net.tick(1);
      net.tick(4);
      net.deliverAll();
      ticks++;
    }

    assertThat(ticks).as("ticks until the leader stepped down").isBetween(T, 2 * T);
    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).term()).isEqualTo(term);
  }

  @Test
  void learnerAnswersDoNotConfirmALinearizableRead() throws Exception {
    RaftNetwork net = threeVotersAndALearner();
    net.partition(List.of(1L, 4L));

    net.readIndex(1, 42);
    net.tickAndDeliver(3);
    assertThat(net.readStates(1)).isEmpty();

    net.heal();
    net.tickAndDeliver(2);
    assertThat(net.readStates(1)).extracting(ReadState::context).containsExactly(42L);
  }

  @Test
  void learnerNeverCampaigns() throws Exception {
    RaftNetwork net = threeVotersAndALearner();
    long term = net.node(4).term();
    int mark = net.sentCount();
    net.isolate(4);

    for (int tick = 0; tick < 10 * T; tick++) {
      net.tick(4);
    }
    net.deliverAll();

    assertThat(net.sentSince(mark)).filteredOn(m -> m instanceof RequestVote).isEmpty();
    assertThat(net.node(4).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(4).term()).isEqualTo(term);
  }

  @Test
  void promotedLearnerCountsTowardsCommit() throws Exception {
    RaftNetwork net = threeVotersAndALearner();
    long promoted = promote(net, 1, 4);
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(promoted);
    assertThat(net.ids())
        .allSatisfy(
            id ->
                assertThat(net.node(id).cluster())
                    .isEqualTo(ClusterConfig.ofVoters(List.of(1L, 2L, 3L, 4L))));

    // Four voters need three acks: the leader and one follower are not enough any more.
    net.partition(List.of(1L, 2L));
    long notEnough = net.propose(1, "a");
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(promoted);

    // With the new voter it is a majority.
    net.partition(List.of(1L, 2L, 4L));
    net.tickAndDeliver(1);
    assertThat(net.node(1).commitIndex()).isEqualTo(notEnough);
    long withNewVoter = net.propose(1, "b");
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(withNewVoter);
    assertThat(net.appliedCommands(4)).containsExactly("a", "b");
  }

  @Test
  void promotedLearnerCanBeElected() throws Exception {
    // Without check-quorum the voters answer at once, though they heard from node 1 just now.
    RaftNetwork net = threeVotersAndALearner(b -> b.ticks(T, 1).checkQuorum(false));
    promote(net, 1, 4);
    net.deliverAll();
    net.isolate(1);

    long term = net.elect(4);

    assertThat(term).isGreaterThan(1);
    long index = net.propose(4, "led by the former learner");
    net.deliverAll();
    assertThat(net.node(4).commitIndex()).isEqualTo(index);
  }

  /**
   * Thesis 4.1: a node votes for a candidate its own (lagging) configuration does not list as a
   * voter; here that vote is needed. Node 3 missed the promotion of 4, and node 4 holds an entry
   * node 2 lacks, so 4 is the only one that can win, and only with 3's vote.
   */
  @Test
  void promotedLearnerIsElectedWithTheVoteOfANodeThatMissedThePromotion() throws Exception {
    RaftNetwork net = threeVotersAndALearner(b -> b.ticks(T, 1).checkQuorum(false));
    net.partition(List.of(1L, 2L, 4L));
    long promoted = promote(net, 1, 4);
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(promoted);
    net.dropIf(m -> m instanceof Message.AppendEntries && m.to() == 2);
    long onlyOnFour = net.propose(1, "on 4 only");
    net.deliverAll();
    assertThat(net.node(4).lastIndex()).isEqualTo(onlyOnFour);
    assertThat(net.node(3).cluster().isVoter(4)).as("node 3 missed the promotion").isFalse();

    net.stopDroppingAndHolding();
    net.isolate(1);
    net.elect(4);

    assertThat(net.sent(Message.VoteResponse.class))
        .filteredOn(vr -> vr.from() == 3 && vr.to() == 4 && vr.granted() && !vr.preVote())
        .isNotEmpty();
    net.deliverAll();
    assertThat(net.node(3).cluster().isVoter(4)).isTrue();
  }
}
