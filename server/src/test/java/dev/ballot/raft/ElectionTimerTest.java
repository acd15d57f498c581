package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.RequestVote;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ElectionTimerTest {
  private static final int ELECTION_TIMEOUT_TICKS = 10;

  @Test
  void followerCampaignsAfterARandomTimeoutOfAtLeastTAndLessThanTwoTTicks() {
    TreeSet<Integer> drawn = new TreeSet<>();
    for (long seed = 0; seed < 200; seed++) {
      RaftNetwork net = RaftNetwork.of(3, seed, b -> b.ticks(ELECTION_TIMEOUT_TICKS, 1));
      int ticks = 0;
      while (net.node(1).role() == Role.FOLLOWER && ticks < 3 * ELECTION_TIMEOUT_TICKS) {
        net.tick(1);
        ticks++;
      }
      assertThat(ticks)
          .as("ticks until node 1 campaigns, seed %d", seed)
          .isBetween(ELECTION_TIMEOUT_TICKS, 2 * ELECTION_TIMEOUT_TICKS - 1);
      drawn.add(ticks);
    }
    // Randomized, over the whole range: both ends and most values in between occur.
    assertThat(drawn)
        .contains(ELECTION_TIMEOUT_TICKS, 2 * ELECTION_TIMEOUT_TICKS - 1)
        .hasSizeGreaterThanOrEqualTo(ELECTION_TIMEOUT_TICKS - 1);
  }

  @Test
  void unansweredCampaignIsRetriedAfterAFreshRandomTimeoutOfTToTwoT() {
    TreeSet<Integer> drawn = new TreeSet<>();
    for (long seed = 0; seed < 50; seed++) {
      RaftNetwork net = RaftNetwork.of(3, seed, b -> b.ticks(ELECTION_TIMEOUT_TICKS, 1));
      net.isolate(1);
      List<Integer> campaignTicks = new ArrayList<>();
      for (int tick = 1; campaignTicks.size() < 6; tick++) {
        int mark = net.sentCount();
        net.tick(1);
        net.deliverAll();
        if (net.sentSince(mark).stream().anyMatch(m -> m instanceof RequestVote)) {
          campaignTicks.add(tick);
        }
      }
      for (int i = 1; i < campaignTicks.size(); i++) {
        int interval = campaignTicks.get(i) - campaignTicks.get(i - 1);
        assertThat(interval)
            .as("ticks between campaigns %s, seed %d", campaignTicks, seed)
            .isBetween(ELECTION_TIMEOUT_TICKS, 2 * ELECTION_TIMEOUT_TICKS - 1);
        drawn.add(interval);
      }
      assertThat(net.node(1).term()).as("pre-vote keeps the term").isZero();
    }
    assertThat(drawn).hasSizeGreaterThan(1);
  }

  @Test
  void leaderSendsAHeartbeatToEveryPeerEveryHeartbeatIntervalTicks() {
    int heartbeatIntervalTicks = 3;
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.ticks(12, heartbeatIntervalTicks));
    net.elect(1);

    for (int tick = 1; tick <= 40; tick++) {
      int mark = net.sentCount();
      net.tickAll();
      List<Long> heartbeatsTo =
          net.sentSince(mark).stream()
              .filter(m -> m instanceof Heartbeat && m.from() == 1)
              .map(Message::to)
              .toList();
      assertThat(heartbeatsTo)
          .as("heartbeats sent on tick %d after the election", tick)
          .isEqualTo(tick % heartbeatIntervalTicks == 0 ? List.of(2L, 3L) : List.of());
      net.deliverAll();
    }
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
  }
}
