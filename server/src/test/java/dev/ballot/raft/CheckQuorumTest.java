package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CheckQuorumTest {
  private static final int T = 10;

  @Test
  void leaderThatHearsFromNoMajorityForAnElectionTimeoutStepsDown() {
    RaftNetwork net = RaftNetwork.of(5, 1, b -> b.ticks(T, 1));
    long term = net.elect(1);
    net.partition(List.of(1L, 2L), List.of(3L, 4L, 5L));

    int ticks = 0;
    while (net.node(1).role() == Role.LEADER && ticks <= 3 * T) {
      net.tick(1);
      net.deliverAll();
      ticks++;
    }

    // The answers from before the cut may count for one check; the next one fails.
    assertThat(ticks).as("ticks until the leader stepped down").isBetween(T, 2 * T);
    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).term()).isEqualTo(term);
    assertThat(net.node(1).leaderId()).isEqualTo(RaftNode.NONE);
  }

  @Test
  void leaderThatHearsFromAMajorityStaysLeader() {
    RaftNetwork net = RaftNetwork.of(5, 1, b -> b.ticks(T, 1));
    long term = net.elect(1);
    net.partition(List.of(1L, 2L, 3L), List.of(4L), List.of(5L));

    for (int tick = 0; tick < 10 * T; tick++) {
      net.tickAll();
      net.deliverAll();
      assertThat(net.node(1).role()).as("after %d ticks", tick + 1).isEqualTo(Role.LEADER);
    }
    assertThat(net.ids()).allSatisfy(id -> assertThat(net.node(id).term()).isEqualTo(term));
  }
}
