package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.storage.RocksDbRaftStorage;
import io.etcd.jetcd.api.RangeResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With a small {@code --snapshot-count}, a node that was down while the others wrote far past the
 * threshold catches up by InstallSnapshot and then serves the same data, and the log of every node
 * stays bounded by about snapshot-count + catch-up entries.
 */
class SnapshotCatchUpTest {
  static final int SNAPSHOT_COUNT = 100;
  static final int CATCH_UP_ENTRIES = 50;
  private static final int WRITES = 3_000;
  private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(60);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void nodeDownForThousandsOfWritesCatchesUpBySnapshotAndLogStaysBounded() throws Exception {
    KvCluster cluster = clusters.start(smallSnapshots(clusters.builder()));
    int leader = cluster.awaitLeader();
    int down = (leader + 1) % cluster.size();
    cluster.stop(down);

    CrashRecoveryTest.writeConcurrently(cluster, leader, "snap-", WRITES);
    RangeResponse expected = Etcd.getPrefix(cluster.kv(leader), "snap-", true);
    assertThat(expected.getKvsCount()).isEqualTo(WRITES);

    cluster.restart(down);
    await("node " + down + " to install a snapshot")
        .atMost(CATCH_UP_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> logContains(cluster.logFile(down), "snapshot installed"));
    await("node " + down + " to serve the same " + WRITES + " keys")
        .atMost(CATCH_UP_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                Etcd.getPrefix(cluster.kv(down), "snap-", true).getHeader().getRevision()
                    >= expected.getHeader().getRevision());
    assertThat(logContains(cluster.logFile(leader), "snapshot sent")).isTrue();
    for (int i = 0; i < cluster.size(); i++) {
      RangeResponse served = Etcd.getPrefix(cluster.kv(i), "snap-", true);
      assertThat(CrashRecoveryTest.revisions(served.getKvsList()))
          .as("keys, values and revisions served by node %d", i)
          .containsExactlyElementsOf(CrashRecoveryTest.revisions(expected.getKvsList()));
    }

    // Disk stays bounded: each node's stored log holds about snapshot-count + catch-up entries.
    for (int i = 0; i < cluster.size(); i++) {
      cluster.stop(i);
      try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(cluster.dataDir(i).resolve("db"))) {
        assertThat(storage.countLogEntries())
            .as("log entries stored by node %d after %d writes", i, WRITES)
            .isLessThanOrEqualTo(
                SNAPSHOT_COUNT + CATCH_UP_ENTRIES + 2L * CrashRecoveryTest.IN_FLIGHT_WRITES);
      }
      try (var snapshots = Files.list(cluster.dataDir(i).resolve("snapshots"))) {
        assertThat(snapshots.filter(p -> p.getFileName().toString().matches("\\d+-\\d+")))
            .as("local snapshots kept by node %d", i)
            .hasSizeBetween(1, 2);
      }
    }
    // And every node restarts from its snapshot plus the short log.
    for (int i = 0; i < cluster.size(); i++) {
      cluster.restart(i);
    }
    cluster.awaitReady();
    int newLeader = cluster.awaitLeader();
    Etcd.put(cluster.kv(newLeader), "after-restart", "ok");
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await("node " + node + " to apply the write after the restart")
          .atMost(CATCH_UP_BOUND)
          .until(() -> "ok".equals(Etcd.value(cluster.kv(node), "after-restart", true)));
      assertThat(Etcd.getPrefix(cluster.kv(node), "snap-", true).getKvsCount()).isEqualTo(WRITES);
    }
  }

  /**
   * Three kvserver nodes that snapshot every {@value #SNAPSHOT_COUNT} entries and keep {@value
   * #CATCH_UP_ENTRIES} below.
   */
  static KvCluster.Builder smallSnapshots(KvCluster.Builder builder) {
    return builder
        .nodes(3)
        .flavor(ServerFlavor.KVSERVER)
        .serverArgs(
            "--snapshot-count",
            Integer.toString(SNAPSHOT_COUNT),
            "--snapshot-catchup-entries",
            Integer.toString(CATCH_UP_ENTRIES));
  }

  static boolean logContains(Path log, String text) throws IOException {
    try (var lines = Files.lines(log)) {
      return lines.anyMatch(l -> l.contains(text));
    }
  }
}
