package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.api.PutRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node cut off from the other two (by cutting its links) is a minority: it cannot commit, and
 * nothing it was asked to write shows up after the partition heals. The majority keeps going, also
 * when a follower learned the member addresses from the leader's snapshot.
 */
class PartitionTest {
  private static final Duration MINORITY_WRITE_DEADLINE = Duration.ofSeconds(3);
  private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(30);

  @RegisterExtension final Clusters clusters = new Clusters();

  @BeforeEach
  void needsLinkFaults() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().supportsLinkFaults(),
        "per-link proxies need kvserver's per-node --initial-cluster");
  }

  @Test
  void isolatedFollowerCannotCommitWhileTheMajorityCan() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();
    Etcd.put(cluster.kv(leader), "before", "1");
    awaitServes(cluster, follower, "before", "1");

    cluster.isolate(follower);

    assertMinorityWriteFails(cluster, follower);
    int majorityLeader = cluster.awaitLeader(Set.of(follower));
    for (int i = 0; i < 5; i++) {
      Etcd.put(cluster.kv(majorityLeader), "majority-" + i, "m" + i);
    }

    cluster.heal();

    awaitServes(cluster, follower, "majority-4", "m4");
    assertNeverCommitted(cluster, follower);
  }

  @Test
  void isolatedLeaderCannotCommitAndIsReplaced() {
    KvCluster cluster = clusters.start(3);
    int oldLeader = cluster.awaitLeader();
    long oldLeaderId = cluster.memberId(oldLeader);
    Etcd.put(cluster.kv(oldLeader), "before", "1");

    cluster.isolate(oldLeader);

    assertMinorityWriteFails(cluster, oldLeader);
    int newLeader = cluster.awaitLeader(Set.of(oldLeader));
    for (int i = 0; i < 5; i++) {
      Etcd.put(cluster.kv(newLeader), "majority-" + i, "m" + i);
    }
    await("the isolated old leader to step down (check-quorum)")
        .atMost(KvCluster.ELECTION_TIMEOUT_BOUND)
        .until(() -> cluster.status(oldLeader).getLeader() != oldLeaderId);

    cluster.heal();

    awaitServes(cluster, oldLeader, "majority-4", "m4");
    assertNeverCommitted(cluster, oldLeader);
  }

  /**
   * A follower that caught up from the leader's snapshot took the member list in it. Isolating that
   * leader must still leave the other two a majority that elects one of them; in the harness's
   * earlier layout the follower then dialled the leader directly and the third node through the
   * leader's links, so the cut left no election possible until the heal.
   */
  @Test
  void isolatedLeaderIsReplacedAfterAFollowerInstalledItsSnapshot() throws Exception {
    KvCluster cluster = clusters.start(SnapshotCatchUpTest.smallSnapshots(clusters.builder()));
    int leader = cluster.awaitLeader();
    int behind = (leader + 1) % cluster.size();
    cluster.stop(behind);
    CrashRecoveryTest.writeConcurrently(cluster, leader, "snap-", 1_000);
    cluster.restart(behind);
    await("node " + behind + " to install a snapshot")
        .atMost(CATCH_UP_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> SnapshotCatchUpTest.logContains(cluster.logFile(behind), "snapshot installed"));
    int current = cluster.awaitLeader();
    Etcd.put(cluster.kv(current), "before", "1");
    awaitServes(cluster, behind, "before", "1");

    cluster.isolate(current);

    int newLeader = cluster.awaitLeader(Set.of(current));
    Etcd.put(cluster.kv(newLeader), "majority", "m");
    for (int node = 0; node < cluster.size(); node++) {
      if (node != current) {
        awaitServes(cluster, node, "majority", "m");
      }
    }
    cluster.heal();
    awaitServes(cluster, current, "majority", "m");
  }

  private static void assertMinorityWriteFails(KvCluster cluster, int minority) {
    StatusRuntimeException failure =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                Etcd.withDeadline(cluster.kv(minority), MINORITY_WRITE_DEADLINE)
                    .put(
                        PutRequest.newBuilder()
                            .setKey(Etcd.bytes("minority"))
                            .setValue(Etcd.bytes("must-not-commit"))
                            .build()));
    assertThat(failure).as("a write to node %d, cut off from the majority", minority).isNotNull();
    assertThat(failure.getStatus().getCode())
        .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAVAILABLE);
  }

  /**
   * After the heal, a write through the old minority node commits; anything it had queued before
   * would be ordered ahead of it, so the minority write must be absent everywhere by then.
   */
  private static void assertNeverCommitted(KvCluster cluster, int minority) {
    await("a write through node " + minority + " after the heal")
        .atMost(CATCH_UP_BOUND)
        .ignoreException(StatusRuntimeException.class)
        .until(() -> Etcd.put(cluster.kv(minority), "after-heal", "ok") != null);
    for (int node = 0; node < cluster.size(); node++) {
      awaitServes(cluster, node, "after-heal", "ok");
      assertThat(Etcd.value(cluster.kv(node), "minority", true))
          .as("the minority write on node %d (serializable read)", node)
          .isNull();
    }
    assertThat(Etcd.value(cluster.kv(cluster.awaitLeader()), "minority", false))
        .as("the minority write (linearizable read)")
        .isNull();
  }

  /** Waits until node {@code node} serves {@code key=value} from its own copy. */
  private static void awaitServes(KvCluster cluster, int node, String key, String value) {
    await("node " + node + " to serve " + key + "=" + value)
        .atMost(CATCH_UP_BOUND)
        .ignoreException(StatusRuntimeException.class)
        .until(() -> value.equals(Etcd.value(cluster.kv(node), key, true)));
  }
}
