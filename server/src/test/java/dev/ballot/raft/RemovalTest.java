package dev.ballot.raft;

import static dev.ballot.raft.MembershipSteps.remove;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.RequestVote;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Removing a member (thesis 4.2.2, 4.2.3): the cluster goes on without it, a removed leader steps
 * down once the change commits, and a removed node cannot disturb anyone with its elections.
 */
class RemovalTest {
  private static final int T = 10;

  @Test
  void removedFollowerIsNoLongerReplicatedToAndTheRestCommitWithoutIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(4, 1, b -> b.ticks(T, 1));
    net.elect(1);
    long removal = remove(net, 1, 4);
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(removal);
    assertThat(net.node(1).matchIndex(4)).isEqualTo(-1);
    int mark = net.sentCount();

    // Two of the three remaining voters: a majority now, not one of four before.
    net.partition(List.of(1L, 2L));
    long index = net.propose(1, "without 4");
    net.tickAndDeliver(3);

    assertThat(net.node(1).commitIndex()).isEqualTo(index);
    assertThat(net.sentSince(mark))
        .filteredOn(m -> m instanceof AppendEntries || m instanceof Heartbeat)
        .extracting(Message::to)
        .doesNotContain(4L)
        .isNotEmpty();
  }

  @Test
  void removedLeaderReplicatesUntilTheChangeCommitsWithoutCountingItselfThenStepsDown()
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    long term = net.elect(1);
    net.partition(List.of(1L, 2L));
    long removal = remove(net, 1, 1);
    long during = net.propose(1, "proposed while leaving");
    net.deliverAll();

    // The new configuration {2, 3} needs both: node 1's own copy does not count.
    assertThat(net.node(2).lastIndex()).isEqualTo(during);
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).commitIndex()).isLessThan(removal);

    net.heal();
    net.tickAndDeliver(1);
    assertThat(net.node(1).commitIndex()).isGreaterThanOrEqualTo(removal);
    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).term()).isEqualTo(term);
    assertThat(net.node(2).commitIndex()).as("told before it stepped down").isEqualTo(during);
    assertThat(net.node(3).commitIndex()).isEqualTo(during);
    int mark = net.sentCount();

    net.tickUntil(() -> net.leadsLatestTerm(2) || net.leadsLatestTerm(3), 10 * T);
    long leader = net.leadsLatestTerm(2) ? 2 : 3;
    long index = net.propose(leader, "after 1 left");
    net.tickAndDeliver(10 * T);

    assertThat(net.node(leader).commitIndex()).isGreaterThanOrEqualTo(index);
    assertThat(net.appliedCommands(leader))
        .containsExactly("proposed while leaving", "after 1 left");
    assertThat(net.sentSince(mark)).filteredOn(m -> m.from() == 1).isEmpty();
    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).term()).isEqualTo(term);
  }

  /**
   * The leader stops replicating to node 3 as soon as it appends node 3's removal (thesis 4.2.3),
   * so node 3 never learns of it and campaigns on with its old configuration. Nobody answers it or
   * moves to its term, with or without pre-vote and leader stickiness.
   */
  @ParameterizedTest(name = "preVote and checkQuorum {0}")
  @ValueSource(booleans = {true, false})
  void removedNodeThatKeepsCampaigningDisturbsNobody(boolean preVoteAndCheckQuorum)
      throws Exception {
    UnaryOperator<RaftConfig.Builder> tuning =
        b -> b.ticks(T, 1).preVote(preVoteAndCheckQuorum).checkQuorum(preVoteAndCheckQuorum);
    RaftNetwork net = RaftNetwork.of(3, 1, tuning);
    long term = net.elect(1);
    long removal = remove(net, 1, 3);
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(removal);
    assertThat(net.node(3).lastIndex()).as("node 3 never got the entry").isLessThan(removal);
    assertThat(net.node(3).cluster().isVoter(3)).isTrue();

    int mark = net.sentCount();
    net.tickAndDeliver(20 * T);

    List<Message> fromThree = net.sentSince(mark).stream().filter(m -> m.from() == 3).toList();
    assertThat(fromThree).isNotEmpty().allMatch(m -> m instanceof RequestVote);
    assertThat(net.sentSince(mark)).filteredOn(m -> m.to() == 3).isEmpty();
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(term);
    assertThat(net.node(2).term()).isEqualTo(term);
    assertThat(net.node(2).votedFor()).isNotEqualTo(3);
    if (!preVoteAndCheckQuorum) {
      assertThat(net.node(3).term()).as("it raised only its own term").isGreaterThan(term + 5);
    }
  }

  @Test
  void voteRequestOfAHigherTermFromANonVoterWithAnOlderLogIsIgnored() {
    RestoredState state = new TestLog().run(1, 3).restoredAt(1, 3);
    ScriptedNode voter =
        ScriptedNode.restored(2, 2, state, b -> b.preVote(false).checkQuorum(false));

    Ready rd = voter.step(new RequestVote(3, 2, 9, 2, 1, false, false));
    Ready preVote = voter.step(new RequestVote(3, 2, 9, 2, 1, true, false));
    Ready transfer = voter.step(new RequestVote(3, 2, 9, 2, 1, false, true));

    assertThat(rd.messages()).isEmpty();
    assertThat(preVote.messages()).isEmpty();
    assertThat(transfer.messages()).isEmpty();
    assertThat(voter.node().term()).isEqualTo(1);
    assertThat(voter.node().votedFor()).isEqualTo(RaftNode.NONE);
    Ready fromVoter = voter.step(new RequestVote(1, 2, 9, 3, 1, false, false));
    assertThat(ScriptedNode.messages(fromVoter, Message.VoteResponse.class))
        .extracting(Message.VoteResponse::granted)
        .containsExactly(true);
  }
}
