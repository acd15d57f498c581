package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.AlarmMember;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmType;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's space quota: a cluster started with a small {@code --quota-backend-bytes} fills up, raises
 * the NOSPACE alarm on every node (Maintenance.Alarm and {@code etcdctl alarm list}), refuses puts
 * with etcd's "database space exceeded" while deletes go on, keeps the alarm across a restart, and
 * takes writes again once space is freed (delete, defragment) and the alarm is disarmed.
 */
class SpaceQuotaTest {
  private static final long QUOTA_BYTES = 3L * 1024 * 1024;
  private static final String VALUE = "v".repeat(64 * 1024);

  /**
   * 125 MiB: the size is checked every 500 ms and RocksDB's files grow only as memtables flush, so
   * the writes must go on long enough for a check to see the quota passed (400 once did not). The
   * values are random: RocksDB compresses its files, and the Raft log (uncompressed) is not
   * counted, so 64 KiB of one letter would hardly count at all.
   */
  private static final int MAX_WRITES = 2_000;

  private static final String NO_SPACE = "etcdserver: mvcc: database space exceeded";

  @RegisterExtension final Clusters clusters = new Clusters();

  @BeforeAll
  static void needsEtcdctl() {
    Etcdctl.requireInstalled();
  }

  @Test
  void fullDatabaseRaisesNoSpaceUntilSpaceIsFreedAndTheAlarmDisarmed() {
    KvCluster cluster =
        clusters.start(
            clusters
                .builder()
                .nodes(3)
                .flavor(ServerFlavor.KVSERVER)
                .serverArgs(
                    "--quota-backend-bytes",
                    Long.toString(QUOTA_BYTES),
                    "--snapshot-count",
                    "20",
                    "--snapshot-catchup-entries",
                    "5"));
    Etcdctl etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
    int leader = cluster.awaitLeader();
    assertThat(alarms(cluster, leader)).isEmpty();

    StatusRuntimeException refused = fillUntilRefused(cluster, leader);
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getStatus().getDescription()).isEqualTo(NO_SPACE);

    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await("node " + node + " to list the NOSPACE alarm")
          .atMost(Duration.ofSeconds(30))
          .until(() -> alarms(cluster, node).stream().anyMatch(SpaceQuotaTest::isNoSpace));
      // Every node refuses a put, whichever node it reaches.
      assertThatThrownBy(() -> put(cluster, node, "refused-" + node))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getDescription()).isEqualTo(NO_SPACE));
    }
    assertThat(etcdctl.run("alarm", "list").requireSuccess().stdout()).contains("alarm:NOSPACE");
    // Every node holds the same data, so each raises its own alarm (each checks every 0.5 s).
    await("every member's NOSPACE alarm")
        .atMost(Duration.ofSeconds(30))
        .until(() -> alarms(cluster, cluster.awaitLeader()).size() == cluster.size());
    // Status lists the alarms in its errors as etcd words them.
    List<String> raised =
        alarms(cluster, leader).stream()
            .map(a -> "memberID:" + Long.toUnsignedString(a.getMemberID()) + " alarm:NOSPACE ")
            .toList();
    for (int i = 0; i < cluster.size(); i++) {
      assertThat(fullStatus(cluster, i).getErrorsList()).containsExactlyElementsOf(raised);
    }
    assertThat(etcdctl.run("endpoint", "status").requireSuccess().stdout())
        .contains(raised.get(0).strip());
    dev.ballot.etcd.api.StatusResponse full = fullStatus(cluster, leader);
    assertThat(full.getDbSizeInUse()).isPositive().isLessThanOrEqualTo(full.getDbSize());

    // The alarm is replicated state: a restarted node still has it.
    int follower = (leader + 1) % cluster.size();
    cluster.restart(follower);
    cluster.awaitReady();
    assertThat(alarms(cluster, follower)).anyMatch(SpaceQuotaTest::isNoSpace);

    // Deletes still work, one key each: the history keeps the previous value with each event,
    // and the revision a compaction stops at stays readable, with its events.
    leader = cluster.awaitLeader();
    long deleted = 0;
    for (int i = 0; i < MAX_WRITES; i++) {
      deleted +=
          cluster
              .kv(leader)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .deleteRange(
                  DeleteRangeRequest.newBuilder()
                      .setKey(Etcd.bytes(String.format("q-%05d", i)))
                      .build())
              .getDeleted();
    }
    assertThat(deleted).isPositive();
    // As etcd's runbook has it: compact away the old revisions, defragment, disarm.
    long revision = Etcd.getPrefix(cluster.kv(leader), "q-", false).getHeader().getRevision();
    etcdctl.run("compact", Long.toString(revision)).requireSuccess();
    await("every node's database to fall under the quota")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              etcdctl.run("defrag").requireSuccess();
              for (int i = 0; i < cluster.size(); i++) {
                if (cluster.status(i).getDbSize() >= QUOTA_BYTES) {
                  return false;
                }
              }
              return true;
            });

    dev.ballot.etcd.api.StatusResponse defragmented = fullStatus(cluster, leader);
    assertThat(defragmented.getDbSizeInUse())
        .isPositive()
        .isLessThanOrEqualTo(defragmented.getDbSize());

    assertThat(etcdctl.run("alarm", "disarm").requireSuccess().stdout()).contains("alarm:NOSPACE");
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await("node " + node + " to clear the alarm")
          .atMost(Duration.ofSeconds(30))
          .until(() -> alarms(cluster, node).isEmpty());
      assertThat(fullStatus(cluster, node).getErrorsList()).isEmpty();
    }
    put(cluster, cluster.awaitLeader(), "after-disarm");
    assertThat(Etcd.value(cluster.kv(leader), "after-disarm", false)).isEqualTo(VALUE);
  }

  /**
   * A quota below the size of an empty store: the alarm is up at once and comes back if disarmed.
   */
  @Test
  void alarmDisarmedWhileStillOverTheQuotaIsRaisedAgain() {
    KvCluster cluster =
        clusters.start(
            clusters
                .builder()
                .nodes(3)
                .flavor(ServerFlavor.KVSERVER)
                .serverArgs("--quota-backend-bytes", "1024"));
    Etcdctl etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
    int leader = cluster.awaitLeader();
    await("the alarm of every member")
        .atMost(Duration.ofSeconds(30))
        .until(() -> alarms(cluster, leader).size() == cluster.size());

    String disarmed = etcdctl.run("alarm", "disarm").requireSuccess().stdout();
    assertThat(disarmed.lines().filter(l -> l.contains("alarm:NOSPACE"))).hasSize(cluster.size());
    await("the alarms to be raised again")
        .atMost(Duration.ofSeconds(30))
        .until(() -> alarms(cluster, leader).size() == cluster.size());
    assertThatThrownBy(() -> put(cluster, leader, "refused"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).isEqualTo(NO_SPACE));
  }

  /** Writes random 64 KiB values until the cluster refuses one; returns the refusal. */
  private static StatusRuntimeException fillUntilRefused(KvCluster cluster, int leader) {
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < MAX_WRITES; i++) {
      try {
        byte[] value = new byte[64 * 1024];
        random.nextBytes(value);
        cluster
            .kv(leader)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .put(
                PutRequest.newBuilder()
                    .setKey(Etcd.bytes(String.format("q-%05d", i)))
                    .setValue(com.google.protobuf.ByteString.copyFrom(value))
                    .build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
          return e;
        }
        throw e;
      }
    }
    throw new AssertionError(MAX_WRITES + " writes of 64 KiB were all accepted");
  }

  private static void put(KvCluster cluster, int node, String key) {
    cluster
        .kv(node)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .put(PutRequest.newBuilder().setKey(Etcd.bytes(key)).setValue(Etcd.bytes(VALUE)).build());
  }

  /** Status with the fields jetcd's older proto lacks (errors, dbSizeInUse). */
  private static dev.ballot.etcd.api.StatusResponse fullStatus(KvCluster cluster, int node) {
    return dev.ballot.etcd.api.MaintenanceGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .status(dev.ballot.etcd.api.StatusRequest.getDefaultInstance());
  }

  private static List<AlarmMember> alarms(KvCluster cluster, int node) {
    return cluster
        .maintenance(node)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.GET).build())
        .getAlarmsList();
  }

  private static boolean isNoSpace(AlarmMember member) {
    return member.getAlarm() == AlarmType.NOSPACE && member.getMemberID() != 0;
  }
}
