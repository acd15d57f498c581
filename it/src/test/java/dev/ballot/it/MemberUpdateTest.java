package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberUpdateRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster.MemberUpdate moves a member's peer port: after {@code kvctl member update}, the member
 * restarted on the new port rejoins, takes writes and counts in the quorum; bad requests change
 * nothing and get etcd's errors.
 */
class MemberUpdateTest {
  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void aMemberRestartedOnItsUpdatedPeerPortRejoinsAndCountsInTheQuorum() {
    KvCluster cluster = clusters.start(clusters.builder().nodes(3).flavor(ServerFlavor.KVSERVER));
    int leader = cluster.awaitLeader();
    int moved = (leader + 1) % cluster.size();
    int third = 3 - leader - moved;
    long movedId = cluster.memberId(moved);
    int newPeerPort = FreePorts.take(1).get(0);
    String newPeerAddr = "127.0.0.1:" + newPeerPort;
    cluster.stop(moved);

    KvctlIT.Run update =
        KvctlIT.run(
            "--endpoints",
            cluster.clientAddress(third),
            "member",
            "update",
            Long.toHexString(movedId),
            "--peer-addr",
            newPeerAddr);

    assertThat(update)
        .isEqualTo(new KvctlIT.Run(0, "Member " + Long.toHexString(movedId) + " updated\n", ""));
    for (int node : List.of(leader, third)) {
      await("node " + node + " to list the new peer address")
          .atMost(Duration.ofSeconds(10))
          .until(() -> peerUrls(cluster, node, movedId).equals(List.of("http://" + newPeerAddr)));
    }

    cluster.restartOnPeerPort(moved, newPeerPort);
    Etcd.put(cluster.kv(cluster.awaitLeader()), "moved/before-stop", "1");
    await("the moved node to apply a write made after its restart")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions() // its client port opens once it has started
        .until(() -> "1".equals(Etcd.value(cluster.kv(moved), "moved/before-stop", true)));

    // With the third node down, a write commits only if the moved node takes part.
    cluster.stop(third);
    await("a write to commit with the moved node as the quorum's second voter")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              Etcd.put(cluster.kv(cluster.awaitLeader()), "moved/quorum", "2");
              return true;
            });
    assertThat(Etcd.value(cluster.kv(moved), "moved/quorum", false)).isEqualTo("2");
    assertThat(peerUrls(cluster, moved, movedId)).containsExactly("http://" + newPeerAddr);
  }

  @Test
  void unknownMemberIsNotFoundAndBadOrTakenAddressesAreRefused() {
    KvCluster cluster = clusters.start(clusters.builder().nodes(3).flavor(ServerFlavor.KVSERVER));
    int leader = cluster.awaitLeader();
    long otherId = cluster.memberId((leader + 1) % cluster.size());
    String takenAddr = "http://" + cluster.peerAddress(leader);
    List<Member> before = cluster.memberList(leader);

    assertRefused(
        cluster,
        leader,
        999,
        "http://127.0.0.1:1",
        Status.Code.NOT_FOUND,
        "etcdserver: member not found");
    assertRefused(
        cluster,
        leader,
        otherId,
        "https://127.0.0.1:1",
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: given member URLs are invalid");
    assertRefused(
        cluster,
        leader,
        otherId,
        takenAddr,
        Status.Code.FAILED_PRECONDITION,
        "etcdserver: Peer URLs already exists");
    assertThat(cluster.memberList(leader)).isEqualTo(before);

    KvctlIT.Run unknown =
        KvctlIT.run(
            "--endpoints",
            cluster.clientAddress(leader),
            "member",
            "update",
            "3e7",
            "--peer-addr",
            "127.0.0.1:1");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).isEqualTo("kvctl: etcdserver: member not found\n");
    // etcdctl's member update reaches the same service; the address it keeps changes nothing.
    Etcdctl.requireInstalled();
    Etcdctl etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
    String current = peerUrls(cluster, leader, otherId).get(0);
    assertThat(
            etcdctl
                .run("member", "update", Long.toHexString(otherId), "--peer-urls=" + current)
                .requireSuccess()
                .stdout())
        .contains("updated in cluster");
    assertThat(cluster.memberList(leader)).isEqualTo(before);
  }

  @Test
  void theNodeAskedListsTheUpdateWhenItAnswers() {
    KvCluster cluster = clusters.start(clusters.builder().nodes(3).flavor(ServerFlavor.KVSERVER));
    int leader = cluster.awaitLeader();
    int moved = (leader + 1) % cluster.size();
    int asked = 3 - leader - moved;
    long movedId = cluster.memberId(moved);
    List<Integer> ports = FreePorts.take(2);
    cluster.stop(moved);

    // As in etcd, a follower answers a membership change once it has applied it itself, so its
    // own member list, read right after, shows it (a follower learns commits a little after the
    // leader, so any lag here shows within a few hundred changes).
    for (int i = 0; i < 200; i++) {
      String url = "http://127.0.0.1:" + ports.get(i % 2);
      cluster
          .clusterApi(asked)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .memberUpdate(MemberUpdateRequest.newBuilder().setID(movedId).addPeerURLs(url).build());
      assertThat(peerUrls(cluster, asked, movedId))
          .as("member list of the node asked, after update %d", i)
          .containsExactly(url);
    }
  }

  private static void assertRefused(
      KvCluster cluster, int node, long id, String url, Status.Code code, String message) {
    assertThatThrownBy(
            () ->
                cluster
                    .clusterApi(node)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .memberUpdate(
                        MemberUpdateRequest.newBuilder().setID(id).addPeerURLs(url).build()))
        .as("update of %s to %s", id, url)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(message);
            });
  }

  private static List<String> peerUrls(KvCluster cluster, int node, long memberId) {
    return cluster.memberList(node).stream()
        .filter(m -> m.getID() == memberId)
        .findFirst()
        .<List<String>>map(m -> List.copyOf(m.getPeerURLsList()))
        .orElse(List.of());
  }
}
