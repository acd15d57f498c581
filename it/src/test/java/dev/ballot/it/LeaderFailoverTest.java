package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Losing the leader: a new one takes over, and no acknowledged write is lost. */
class LeaderFailoverTest {
  private static final Duration WRITES_BOUND = Duration.ofSeconds(30);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void killedLeaderIsReplacedAndNoAcknowledgedWriteIsLost() {
    KvCluster cluster = clusters.start(3);
    int oldLeader = cluster.awaitLeader();
    long oldLeaderId = cluster.memberId(oldLeader);

    Map<String, String> acked;
    try (AckedWriter writer = AckedWriter.start(cluster, "failover")) {
      writer.awaitMoreAcked(50, WRITES_BOUND);

      cluster.kill9(oldLeader);
      int newLeader = cluster.awaitLeader(Set.of(oldLeader));
      writer.awaitMoreAcked(50, WRITES_BOUND);

      acked = writer.stop();
      assertThat(cluster.memberId(newLeader)).isNotEqualTo(oldLeaderId);
    }

    int leader = cluster.awaitLeader();
    assertThat(Etcd.prefixContents(cluster.kv(leader), "failover-", false))
        .as("linearizable read on the new leader")
        .containsAllEntriesOf(acked);

    cluster.restart(oldLeader);
    cluster.awaitReady();
    await("the old leader to catch up after its restart")
        .atMost(WRITES_BOUND)
        .untilAsserted(
            () ->
                assertThat(Etcd.prefixContents(cluster.kv(oldLeader), "failover-", true))
                    .containsAllEntriesOf(acked));
  }

  @Test
  void pausedLeaderIsReplacedAndRejoinsAsFollower() {
    KvCluster cluster = clusters.start(3);
    int oldLeader = cluster.awaitLeader();
    Etcd.put(cluster.kv(oldLeader), "before-pause", "1");

    cluster.pause(oldLeader);
    int newLeader = cluster.awaitLeader(Set.of(oldLeader));
    Etcd.put(cluster.kv(newLeader), "during-pause", "2");

    cluster.resume(oldLeader);
    await("the resumed old leader to follow the new one")
        .atMost(KvCluster.ELECTION_TIMEOUT_BOUND)
        .untilAsserted(
            () -> {
              long leaderId = cluster.status(oldLeader).getLeader();
              assertThat(leaderId).isNotZero().isNotEqualTo(cluster.memberId(oldLeader));
            });
    assertThat(Etcd.value(cluster.kv(oldLeader), "during-pause", false)).isEqualTo("2");
    assertThat(Etcd.value(cluster.kv(oldLeader), "before-pause", false)).isEqualTo("1");
  }
}
