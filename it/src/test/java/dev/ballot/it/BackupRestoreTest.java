package dev.ballot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.backup.BackupReader;
import dev.ballot.cli.Kvctl;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backup with {@code kvctl snapshot save} and {@code etcdctl snapshot save}, restore into a new
 * cluster with {@code kvserver --restore-from}, as the README tells an operator to.
 */
class BackupRestoreTest {
  private static final int KEYS = 300;

  @RegisterExtension final Clusters clusters = new Clusters();

  /** Ballot's backup format and kvserver's --restore-from: etcd's snapshot is a bbolt file. */
  @BeforeAll
  static void ballotOnly() {
    assumeTrue(
        ServerFlavor.fromSystemProperty() == ServerFlavor.KVSERVER,
        "Ballot's own backup format and restore");
  }

  @Test
  void kvctlBackupRestoresEveryKeyValueAndTheRevisionIntoANewCluster() throws Exception {
    KvCluster source = clusters.start(3);
    int leader = source.awaitLeader();
    for (int i = 0; i < KEYS; i++) {
      Etcd.put(source.kv(i % 3), String.format("key/%04d", i), "value-" + i);
    }
    for (int i = 0; i < KEYS; i += 7) {
      Etcd.put(source.kv(leader), String.format("key/%04d", i), "again-" + i); // version 2
    }
    Etcd.withDeadline(source.kv(leader), Etcd.REQUEST_DEADLINE)
        .deleteRange(DeleteRangeRequest.newBuilder().setKey(Etcd.bytes("key/0001")).build());
    long leaseId =
        lease(source, leader)
            .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(600).build())
            .getID();
    Etcd.withDeadline(source.kv(leader), Etcd.REQUEST_DEADLINE)
        .put(
            PutRequest.newBuilder()
                .setKey(Etcd.bytes("leased"))
                .setValue(Etcd.bytes("v"))
                .setLease(leaseId)
                .build());
    RangeResponse before = everything(source, leader, false);
    long revision = before.getHeader().getRevision();
    assertThat(before.getKvsCount()).isEqualTo(KEYS);

    Path kvctlFile = source.dir().resolve("kvctl.backup");
    String saved =
        kvctl(
            "--endpoints", source.clientAddress(leader), "snapshot", "save", kvctlFile.toString());
    assertThat(saved).startsWith("Snapshot saved at " + kvctlFile).contains("revision " + revision);
    assertThat(Files.exists(kvctlFile.resolveSibling("kvctl.backup.part"))).isFalse();

    Etcdctl.requireInstalled();
    Path etcdctlFile = source.dir().resolve("etcdctl.db");
    new Etcdctl(source.clientAddress(leader), source.dir().resolve("etcdctl"))
        .run("snapshot", "save", etcdctlFile.toString())
        .requireSuccess();
    // The bytes etcdctl saved are a whole Ballot backup: chunks, then the SHA-256 message.
    BackupReader.Summary fromEtcdctl = BackupReader.verify(etcdctlFile);
    BackupReader.Summary fromKvctl = BackupReader.verify(kvctlFile);
    assertThat(fromEtcdctl.header().revision()).isEqualTo(revision);
    assertThat(fromEtcdctl.pairCount()).isEqualTo(fromKvctl.pairCount()).isEqualTo(KEYS);
    assertThat(fromKvctl.leaseCount()).isEqualTo(1);

    KvCluster restored = clusters.start(clusters.builder().nodes(3).restoreFrom(kvctlFile));
    int newLeader = restored.awaitLeader();
    assertThat(restored.status(0).getHeader().getClusterId())
        .isNotEqualTo(source.status(0).getHeader().getClusterId());
    for (int node = 0; node < 3; node++) {
      RangeResponse after = everything(restored, node, true);
      assertThat(after.getHeader().getRevision())
          .as("revision on node %d", node)
          .isEqualTo(revision);
      assertThat(after.getKvsList())
          .as("keys, values, revisions and versions on node %d", node)
          .containsExactlyElementsOf(before.getKvsList());
    }

    // The new cluster goes on from the restored revision.
    long next = Etcd.put(restored.kv(newLeader), "key/new", "x").getHeader().getRevision();
    assertThat(next).isEqualTo(revision + 1);

    // The backup holds no history: a read before its revision is refused as compacted.
    assertThatThrownBy(
            () ->
                Etcd.withDeadline(restored.kv(newLeader), Etcd.REQUEST_DEADLINE)
                    .range(
                        io.etcd.jetcd.api.RangeRequest.newBuilder()
                            .setKey(Etcd.bytes("key/0002"))
                            .setRevision(revision - 1)
                            .build()))
        .hasMessageContaining("required revision has been compacted");
    // The lease came along with its key: it is there, and revoking it deletes the key.
    LeaseTimeToLiveResponse ttl =
        lease(restored, newLeader)
            .leaseTimeToLive(
                LeaseTimeToLiveRequest.newBuilder().setID(leaseId).setKeys(true).build());
    assertThat(ttl.getGrantedTTL()).isEqualTo(600);
    assertThat(ttl.getTTL()).isPositive();
    assertThat(ttl.getKeysList()).containsExactly(Etcd.bytes("leased"));
    lease(restored, newLeader).leaseRevoke(LeaseRevokeRequest.newBuilder().setID(leaseId).build());
    assertThat(Etcd.get(restored.kv(newLeader), "leased", false).getKvsCount()).isZero();

    String table = kvctl("--endpoints", restored.clientEndpointsCsv(), "status");
    assertThat(table.lines().findFirst().orElseThrow()).contains("APPLIED INDEX", "SNAPSHOT INDEX");
    String json = kvctl("--endpoints", restored.clientEndpointsCsv(), "-w", "json", "status");
    assertThat(json).contains("\"snapshot_index\":0");
  }

  @Test
  void restoreIntoADataDirectoryThatHoldsDataIsRefusedWithExitCode2() throws Exception {
    KvCluster source = clusters.start(1);
    Path file = source.dir().resolve("one.backup");
    kvctl("--endpoints", source.clientAddress(0), "snapshot", "save", file.toString());

    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.ballot.KvServer",
                "--data-dir",
                source.dataDir(0).toString(),
                "--initial-cluster",
                "127.0.0.1:1",
                "--restore-from",
                file.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);

    assertThat(process.exitValue()).as(output).isEqualTo(2);
    assertThat(output).contains("already holds data");
    assertThat(Etcd.get(source.kv(0), "anything", false).getKvsCount()).isZero(); // still serving
  }

  @Test
  void nodesThatStartFromDifferentDataRefuseToFormACluster() throws Exception {
    KvCluster source = clusters.start(1);
    Etcd.put(source.kv(0), "key", "value");
    Path file = source.dir().resolve("mixed.backup");
    kvctl("--endpoints", source.clientAddress(0), "snapshot", "save", file.toString());

    List<Integer> ports = FreePorts.take(6);
    String initialCluster =
        "127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1) + ",127.0.0.1:" + ports.get(2);
    List<Process> nodes = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<String> args =
          new java.util.ArrayList<>(
              List.of(
                  "--data-dir",
                  source.dir().resolve("mixed-" + i).toString(),
                  "--peer-addr",
                  "127.0.0.1:" + ports.get(i),
                  "--client-addr",
                  "127.0.0.1:" + ports.get(3 + i),
                  "--initial-cluster",
                  initialCluster));
      if (i < 2) { // the third node was meant to be restored too, but its operator forgot
        args.addAll(List.of("--restore-from", file.toString()));
      }
      nodes.add(kvserver(args));
    }

    for (int i = 0; i < 3; i++) {
      Process node = nodes.get(i);
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node %d exits", i).isTrue();
      String output = new String(node.getInputStream().readAllBytes(), UTF_8);
      assertThat(node.exitValue()).as(output).isEqualTo(1);
      assertThat(output)
          .contains("starts from an empty data directory")
          .contains("start every node of a new cluster from the same backup");
    }
  }

  @Test
  void aNodeWhoseRestoreWasInterruptedRefusesToStartEmpty() throws Exception {
    KvCluster source = clusters.start(1);
    Path dataDir = source.dir().resolve("interrupted");
    Files.createDirectories(dataDir.resolve("db.restoring")); // what a crash mid-restore leaves

    Process node =
        kvserver(
            List.of(
                "--data-dir",
                dataDir.toString(),
                "--initial-cluster",
                "127.0.0.1:" + FreePorts.take(1).get(0)));
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(node.getInputStream().readAllBytes(), UTF_8);

    assertThat(node.exitValue()).as(output).isEqualTo(2);
    assertThat(output).contains("was interrupted").contains("--restore-from");
    assertThat(dataDir.resolve("db")).doesNotExist();
  }

  private static Process kvserver(List<String> args) throws java.io.IOException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.ballot.KvServer"));
    command.addAll(args);
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Every key, in key order, as one node sees it. */
  private static LeaseGrpc.LeaseBlockingStub lease(KvCluster cluster, int node) {
    return LeaseGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(Etcd.REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static RangeResponse everything(KvCluster cluster, int node, boolean serializable) {
    return await("node " + node + " to answer a full range")
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () ->
                Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE)
                    .range(
                        io.etcd.jetcd.api.RangeRequest.newBuilder()
                            .setKey(Etcd.bytes("\0"))
                            .setRangeEnd(Etcd.bytes("\0"))
                            .setSerializable(serializable)
                            .build()),
            r -> !serializable || r.getKvsCount() > 0);
  }

  /** Runs kvctl in this JVM; fails the test on a non-zero exit. */
  private static String kvctl(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kvctl.run(Map.of(), new PrintWriter(out), new PrintWriter(err), args);
    assertThat(code).as("kvctl %s\n%s", List.of(args), err).isZero();
    return out.toString();
  }
}
