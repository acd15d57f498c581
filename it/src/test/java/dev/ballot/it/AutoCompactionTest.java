package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --auto-compaction-mode revision}: the leader compacts the history to the last revisions on
 * every member, older reads are refused alike everywhere, newer ones keep working, and a member
 * that catches up by snapshot after a restart serves the same history. (Ballot only: etcd's
 * revision compactor runs every five minutes.)
 */
class AutoCompactionTest {
  private static final int RETENTION = 20;

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void theLeaderKeepsTheLastRevisionsOnEveryMember() {
    KvCluster cluster =
        clusters.start(
            clusters
                .builder()
                .nodes(3)
                .flavor(ServerFlavor.KVSERVER)
                .serverArgs(
                    "--auto-compaction-mode",
                    "revision",
                    "--auto-compaction-retention",
                    Integer.toString(RETENTION),
                    "--snapshot-count",
                    "50",
                    "--snapshot-catchup-entries",
                    "5"));
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();
    cluster.stop(follower);
    long last = 0;
    for (int i = 0; i < 300; i++) {
      last = Etcd.put(cluster.kv(leader), "auto/k", "v" + i).getHeader().getRevision();
    }
    long newest = last;
    await("the history compacted to the last " + RETENTION + " revisions")
        .atMost(Duration.ofSeconds(20))
        .until(() -> compactRevision(cluster, leader) >= newest - RETENTION);

    // The stopped member catches up (by snapshot: the log before it is gone) with the history.
    cluster.restart(follower);
    await("the restarted member to catch up")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> valueAt(cluster, follower, newest).equals("v299"));
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(() -> compactRevision(cluster, node) >= newest - RETENTION);
      assertThat(valueAt(cluster, node, newest - 5)).isEqualTo("v294");
      StatusRuntimeException old =
          catchThrowableOfType(
              StatusRuntimeException.class, () -> valueAt(cluster, node, newest - 200));
      assertThat(old.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
      assertThat(old.getStatus().getDescription())
          .isEqualTo("etcdserver: mvcc: required revision has been compacted");
    }
  }

  private static long compactRevision(KvCluster cluster, int node) {
    return MaintenanceGrpc.newBlockingStub(cluster.channel(node))
        .hashKV(HashKVRequest.getDefaultInstance())
        .getCompactRevision();
  }

  private static String valueAt(KvCluster cluster, int node, long revision) {
    return cluster
        .kv(node)
        .range(
            RangeRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("auto/k"))
                .setRevision(revision)
                .setSerializable(true)
                .build())
        .getKvs(0)
        .getValue()
        .toStringUtf8();
  }
}
