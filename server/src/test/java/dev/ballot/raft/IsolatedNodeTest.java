package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.RequestVote;
import org.junit.jupiter.api.Test;

class IsolatedNodeTest {
  private static final int T = 10;

  @Test
  void nodeIsolatedForLongDoesNotRaiseItsTermAndDoesNotDisturbTheLeaderWhenItReturns()
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(T, 1));
    long term = net.elect(1);
    net.isolate(3);

    for (int tick = 0; tick < 30 * T; tick++) {
      net.tickAll();
      net.deliverAll();
      assertThat(net.node(3).term()).as("node 3's term after %d ticks", tick + 1).isEqualTo(term);
    }
    net.propose(1, "while 3 was away");
    net.deliverAll();
    assertThat(net.sent(RequestVote.class))
        .as("it campaigned, with pre-votes only")
        .filteredOn(rv -> rv.from() == 3)
        .isNotEmpty()
        .allMatch(RequestVote::preVote);

    net.heal();
    net.tickAndDeliver(3 * T);

    assertThat(net.leadsLatestTerm(1)).isTrue();
    assertThat(net.ids()).allSatisfy(id -> assertThat(net.node(id).term()).isEqualTo(term));
    assertThat(net.node(3).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(3).leaderId()).isEqualTo(1);
    assertThat(net.appliedCommands(3)).containsExactly("while 3 was away");
  }
}
