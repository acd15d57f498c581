package dev.ballot.raft;

import static dev.ballot.raft.MembershipSteps.addLearner;
import static dev.ballot.raft.MembershipSteps.config;
import static dev.ballot.raft.RaftNetwork.ofType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.TimeoutNow;
import dev.ballot.raft.Message.VoteResponse;
import dev.ballot.raft.ProposalRejectedException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Leadership transfer (thesis 3.10): the leader stops taking proposals, brings the target up to
 * date, and tells it to campaign at once; it gives up after an election timeout.
 */
class LeadershipTransferTest {
  private static final int T = 10;

  /** Nodes 1-3, led by node 1. */
  private static RaftNetwork ledByOne() {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    return net;
  }

  /** {@code leader} takes a proposal and commits it, as node {@code follower} learns. */
  private static void assertCommits(RaftNetwork net, long leader, long follower) throws Exception {
    long index = net.propose(leader, "after the transfer");
    net.deliverAll();
    assertThat(net.node(follower).commitIndex()).isEqualTo(index);
  }

  private static void assertRefused(RaftNetwork net, RaftNetwork.NodeAction action) {
    assertThatThrownBy(() -> net.on(1, action))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.LEADERSHIP_TRANSFER));
  }

  @Test
  void targetBecomesLeaderOfTheNextTermThoughTheOthersStillHearFromTheOldLeader() throws Exception {
    RaftNetwork net = ledByOne();
    long term = net.node(1).term();
    net.tickAndDeliver(2); // node 2 heard from its leader just now: it would ignore a candidate

    net.on(1, n -> n.transferLeadership(3));
    net.deliverAll();

    assertThat(net.node(3).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(3).term()).isEqualTo(term + 1);
    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).leaderId()).isEqualTo(3);
    assertThat(net.sent(RequestVote.class))
        .filteredOn(rv -> rv.from() == 3)
        .extracting(RequestVote::term, RequestVote::preVote, RequestVote::transfer)
        .containsOnly(tuple(term + 1, false, true));
    assertThat(net.sent(VoteResponse.class))
        .filteredOn(vr -> vr.to() == 3 && vr.granted())
        .extracting(VoteResponse::from)
        .contains(2L);
    assertCommits(net, 3, 1);
  }

  @Test
  void leaderRefusesProposalsAndChangesWhileTransferring() throws Exception {
    RaftNetwork net = ledByOne();
    net.holdIf(ofType(TimeoutNow.class));
    long lastBefore = net.node(1).lastIndex();

    net.on(1, n -> n.transferLeadership(3));
    net.deliverAll();

    assertThat(net.node(1).transferTarget()).isEqualTo(3);
    assertRefused(net, n -> n.propose(List.of(new byte[] {1})));
    assertRefused(net, n -> n.proposeConfig(config(List.of(1L, 2L, 3L), List.of(4L)), new byte[0]));
    assertThat(net.node(1).lastIndex()).isEqualTo(lastBefore);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.leadsLatestTerm(3)).isTrue();
  }

  @Test
  void laggingTargetIsCaughtUpBeforeItIsToldToCampaign() throws Exception {
    RaftNetwork net = ledByOne();
    net.isolate(3);
    long last = net.propose(1, "a", "b", "c");
    net.deliverAll();
    net.heal();
    assertThat(net.node(3).lastIndex()).isLessThan(last);
    net.holdIf(ofType(TimeoutNow.class));

    net.on(1, n -> n.transferLeadership(3));
    assertThat(net.inFlight()).filteredOn(m -> m instanceof TimeoutNow).isEmpty();
    net.deliverAll();

    assertThat(net.held()).singleElement().isInstanceOf(TimeoutNow.class);
    assertThat(net.node(3).lastIndex()).isEqualTo(last);
    assertThat(net.node(1).matchIndex(3)).isEqualTo(last);
    List<Message> sent = net.sent();
    int timeoutNowAt = sent.indexOf(net.held().get(0));
    int caughtUpAt =
        sent.indexOf(
            net.sent(AppendResponse.class).stream()
                .filter(ar -> ar.from() == 3 && ar.success() && ar.matchIndex() == last)
                .findFirst()
                .orElseThrow());
    assertThat(timeoutNowAt)
        .as("TimeoutNow after node 3 acked the last entry")
        .isGreaterThan(caughtUpAt);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.leadsLatestTerm(3)).isTrue();
    assertThat(net.appliedCommands(3)).containsExactly("a", "b", "c");
  }

  @Test
  void transferToAnUnreachableTargetIsAbandonedAfterAnElectionTimeout() throws Exception {
    RaftNetwork net = ledByOne();
    long term = net.node(1).term();
    net.isolate(3);

    net.on(1, n -> n.transferLeadership(3));
    int ticks = 0;
    while (net.node(1).transferTarget() == 3 && ticks <= 3 * T) {
      assertRefused(net, n -> n.propose(List.of(new byte[] {1})));
      net.tickAll();
      net.deliverAll();
      ticks++;
    }

    assertThat(ticks).isEqualTo(T);
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(term);
    assertCommits(net, 1, 2);
  }

  @Test
  void onlyAVoterCanBeTheTarget() throws Exception {
    RaftNetwork net = ledByOne();
    addLearner(net, 1, 4);

    assertThatThrownBy(() -> net.on(1, n -> n.transferLeadership(4)))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIG_CHANGE));
    assertThat(net.node(1).transferTarget()).isEqualTo(RaftNode.NONE);

    // A learner told to campaign anyway (a stale or forged message) does not.
    net.inject(new TimeoutNow(1, 4, net.node(1).term()));
    net.deliverAll();
    assertThat(net.node(4).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.leadsLatestTerm(1)).isTrue();
  }
}
