package dev.ballot.it;

import static dev.ballot.it.Members.learnerFlags;
import static dev.ballot.it.Members.remove;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A membership change that would leave no live majority of voters is refused before it is proposed
 * ({@code etcdserver: unhealthy cluster}, as etcd's strict reconfiguration check), so that an
 * operator cannot make the cluster leaderless by removing the wrong member while another is down.
 */
class MembershipQuorumTest {
  /** etcd counts a member as down once it has not been heard from for its health interval, 5 s. */
  private static final Duration ETCD_HEALTH_INTERVAL = Duration.ofSeconds(5);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void removingALiveFollowerWhileAnotherVoterIsDownIsRefusedAndTheClusterKeepsServing() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    List<Integer> followers =
        java.util.stream.IntStream.range(0, 3).filter(i -> i != leader).boxed().toList();
    int live = followers.get(0);
    int down = followers.get(1);
    long liveId = cluster.memberId(live);
    long downId = cluster.memberId(down);
    java.util.Set<Long> membersBefore = learnerFlags(cluster.memberList(leader)).keySet();

    cluster.stop(down);
    awaitNoticedDown(cluster);

    // Asked of the leader, and of the follower itself (which passes it to the leader).
    for (int via : List.of(leader, live)) {
      StatusRuntimeException refused =
          catchThrowableOfType(StatusRuntimeException.class, () -> remove(cluster, via, liveId));
      assertThat(refused).as("removal of the live follower, asked of node %d", via).isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(refused.getStatus().getDescription()).isEqualTo("etcdserver: unhealthy cluster");
    }

    assertThat(learnerFlags(cluster.memberList(leader)).keySet())
        .as("members")
        .isEqualTo(membersBefore);
    for (int node : List.of(leader, live)) {
      Etcd.put(cluster.kv(node), "after-refused-removal-via-" + node, "ok");
      assertThat(Etcd.get(cluster.kv(node), "after-refused-removal-via-" + node, false).getCount())
          .isEqualTo(1);
    }

    // Removing the member that is down leaves two live voters of two: allowed.
    remove(cluster, live, downId);
    assertThat(learnerFlags(cluster.memberList(leader)).keySet())
        .containsExactlyInAnyOrder(cluster.memberId(leader), liveId);
    Etcd.put(cluster.kv(live), "after-removing-the-down-member", "ok");
  }

  /** Waits until the leader no longer counts the stopped node as live. */
  private static void awaitNoticedDown(KvCluster cluster) {
    Duration wait =
        cluster.flavor() == ServerFlavor.ETCD
            ? ETCD_HEALTH_INTERVAL.plusSeconds(1)
            : Duration.ofMillis(2 * cluster.options().electionTimeoutMs());
    // Nothing outside the leader shows its view of who is live: let the window pass.
    await().pollDelay(wait).atMost(wait.plusSeconds(1)).until(() -> true);
  }
}
