package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The counts the node's metrics export: every pre-vote round, election and win, repeats too. */
class CampaignCountTest {
  private static final int T = 10;

  @Test
  void anElectionCountsOnePreVoteOneElectionAndOneWin() {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    assertThat(net.node(1).preVotesStarted()).isEqualTo(1);
    assertThat(net.node(1).electionsStarted()).isEqualTo(1);
    assertThat(net.node(1).electionsWon()).isEqualTo(1);
    assertThat(net.node(2).electionsStarted()).isZero();
  }

  @Test
  void anIsolatedNodeCountsEveryPreVoteRoundAndNeverAnElection() {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    net.elect(1);
    net.partition(List.of(1L, 2L), List.of(3L));
    for (int tick = 0; tick < 10 * T; tick++) {
      net.tickAll();
      net.deliverAll();
    }
    // Each election timeout (T to 2T ticks) starts a new round that gets no majority.
    assertThat(net.node(3).preVotesStarted()).isBetween(5L, 11L);
    assertThat(net.node(3).electionsStarted()).isZero();
    assertThat(net.node(3).electionsWon()).isZero();
  }
}
