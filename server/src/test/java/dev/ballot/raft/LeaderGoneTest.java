package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.RequestVote;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower told that its leader's process is gone ({@link RaftNode#reportPeerGone}) campaigns at
 * once, and one election settles it; a wrong report unseats no leader that a majority still hears.
 */
class LeaderGoneTest {
  private static final int T = 10;

  /** Nodes 1-3 (or 1-5), led by node 1, every follower just heard from it. */
  private static RaftNetwork ledByOne(int size) {
    RaftNetwork net = RaftNetwork.of(size, 7, b -> b.ticks(T, 1));
    net.elect(1);
    net.tickAndDeliver(1);
    return net;
  }

  /** Requests for real votes in terms after {@code term}. */
  private static List<RequestVote> realVotesAsked(RaftNetwork net, long term) {
    return net.sent(RequestVote.class).stream()
        .filter(rv -> !rv.preVote() && rv.term() > term)
        .toList();
  }

  @Test
  void whenEveryFollowerSeesTheLeaderGoOneOfThemLeadsTheNextTermWithoutATick() {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();
    net.isolate(1); // the leader's process is gone

    net.node(2).reportPeerGone(1);
    net.node(3).reportPeerGone(1);
    net.tick(2); // hands the reports' Ready to the network; far below an election timeout
    net.tick(3);
    net.deliverAll();

    assertThat(net.node(2).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(2).term()).as("one election").isEqualTo(term + 1);
    assertThat(net.node(3).leaderId()).isEqualTo(2);
    assertThat(realVotesAsked(net, term))
        .as("only the candidate with the better claim (equal logs: the lower id) ran")
        .allMatch(rv -> rv.from() == 2 && rv.leaderGone());
  }

  @Test
  void theFollowerWithTheLongerLogWinsTheRaceWhateverItsId() throws Exception {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();
    net.dropIf(m -> m.to() == 2 && m instanceof Message.AppendEntries);
    net.propose(1, "only node 3 gets this");
    net.deliverAll();
    net.stopDroppingAndHolding();
    net.isolate(1);

    net.on(2, n -> n.reportPeerGone(1));
    net.on(3, n -> n.reportPeerGone(1));
    net.deliverAll();

    assertThat(net.node(3).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(3).term()).isEqualTo(term + 1);
    assertThat(net.node(2).leaderId()).isEqualTo(3);
  }

  @Test
  void aFollowerThatJustHeardTheLeaderGrantsOnlyOnceTheLeaderHasBeenSilentForTwoHeartbeats()
      throws Exception {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();
    net.isolate(1);

    net.on(2, n -> n.reportPeerGone(1)); // node 3 has not noticed: its lease holds
    net.deliverAll();
    assertThat(net.node(2).role()).isEqualTo(Role.PRE_CANDIDATE);
    assertThat(net.node(3).leaderId()).isEqualTo(1);

    int ticks = net.tickUntil(() -> net.node(2).role() == Role.LEADER, T);

    assertThat(ticks).as("node 2 asks again every tick; well within a timeout").isLessThan(T / 2);
    assertThat(net.node(2).term()).isEqualTo(term + 1);
  }

  @Test
  void aWrongReportUnseatsNoLeaderThatTheOthersStillHear() {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();

    net.node(2).reportPeerGone(1); // say one connection broke and the reconnect was refused
    net.tickAndDeliver(3 * T);

    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(term);
    assertThat(net.node(2).leaderId()).as("back to following on the next heartbeat").isEqualTo(1);
    assertThat(realVotesAsked(net, term)).isEmpty();
  }

  @Test
  void theLeaderItselfNeverGrantsALeaderGoneVote() {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();
    net.tickAndDeliver(3); // the leader's own election clock moves on

    net.inject(new RequestVote(3, 1, term + 1, 99, term, true, false, true));
    net.inject(new RequestVote(3, 1, term + 1, 99, term, false, false, true));
    net.deliverAll();

    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(term);
  }

  @Test
  void aReportAboutAPeerThatDoesNotLeadChangesNothing() {
    RaftNetwork net = ledByOne(3);
    long term = net.node(1).term();

    net.node(2).reportPeerGone(3);
    net.node(1).reportPeerGone(2); // a leader only stops streaming to it
    net.tickAndDeliver(1);

    assertThat(net.node(2).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(term);
  }

  @Test
  void inFiveNodesTheFourFollowersSettleOnOneLeaderInOneTerm() {
    RaftNetwork net = ledByOne(5);
    long term = net.node(1).term();
    net.isolate(1);

    for (long id = 2; id <= 5; id++) {
      net.node(id).reportPeerGone(1);
    }
    for (long id = 2; id <= 5; id++) {
      net.tick(id);
    }
    net.deliverAll();

    assertThat(net.node(2).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(2).term()).isEqualTo(term + 1);
    for (long id = 3; id <= 5; id++) {
      assertThat(net.node(id).leaderId()).isEqualTo(2);
    }
  }
}
