package dev.ballot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.backup.BackupReader;
import dev.ballot.cli.Kvctl;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backup with {@code kvctl snapshot save} and {@code etcdctl snapshot save}, restore into a new
 * cluster with {@code kvserver --restore-from}, as the README tells an operator to.
 */
class BackupRestoreTest {
  private static final int KEYS = 300;

  @RegisterExtension final Clusters clusters = new Clusters();

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
    RangeResponse before = everything(source, leader, false);
    long revision = before.getHeader().getRevision();
    assertThat(before.getKvsCount()).isEqualTo(KEYS - 1);

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
    assertThat(fromEtcdctl.pairCount()).isEqualTo(fromKvctl.pairCount()).isEqualTo(KEYS - 1);

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

  /** Every key, in key order, as one node sees it. */
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
