package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node whose disk starts failing its syncs (EIO injected into the running process by strace)
 * stops at once with exit code 3 and one clear log line; it never retries the sync and carries on.
 * The two others keep serving, and no acknowledged write is lost, whether the failing node was a
 * follower or the leader.
 */
class DiskFaultTest {
  /** KvServer.EXIT_DISK_FAILURE. */
  static final int EXIT_DISK_FAILURE = 3;

  private static final Duration FENCE_BOUND = Duration.ofSeconds(30);

  @RegisterExtension final Clusters clusters = new Clusters();

  @BeforeAll
  static void needsStrace() {
    SyscallFaults.requireInstalled();
  }

  @Test
  void followerWhoseSyncFailsStopsAndTheOthersServe() throws Exception {
    KvCluster cluster = clusters.start();
    int leader = cluster.awaitLeader();
    failSyncsAndCheck(cluster, (leader + 1) % cluster.size(), "follower");
  }

  @Test
  void leaderWhoseSyncFailsStopsAndTheOthersServe() throws Exception {
    KvCluster cluster = clusters.start();
    failSyncsAndCheck(cluster, cluster.awaitLeader(), "leader");
  }

  private static void failSyncsAndCheck(KvCluster cluster, int victim, String prefix)
      throws Exception {
    Map<String, String> acked;
    try (AckedWriter writer = AckedWriter.start(cluster, prefix)) {
      writer.awaitMoreAcked(50, Duration.ofSeconds(30));
      cluster.expectOwnExit(victim);
      Path straceLog = cluster.dir().resolve("strace-node" + victim + ".log");
      try (SyscallFaults faults = SyscallFaults.failSyncs(cluster.pid(victim), straceLog)) {
        assertThat(cluster.awaitOwnExit(victim, FENCE_BOUND))
            .as("exit code of node %d once its syncs fail", victim)
            .isEqualTo(EXIT_DISK_FAILURE);
      }
      String log = Files.readString(cluster.logFile(victim));
      assertThat(log)
          .contains("disk failure, stopping the node without acknowledging anything more")
          .contains("operation=\"raft storage write\"")
          .contains("path=" + cluster.dataDir(victim).resolve("db"));
      // The two others elect a leader if needed and go on acknowledging writes.
      cluster.awaitLeader(Set.of(victim));
      writer.awaitMoreAcked(50, Duration.ofSeconds(60));
      acked = writer.stop();
    }

    int leader = cluster.awaitLeader(Set.of(victim));
    Map<String, String> served = Etcd.prefixContents(cluster.kv(leader), prefix + "-", false);
    assertThat(served).as("every acknowledged write").containsAllEntriesOf(acked);

    // Without the fault the node starts again on its data and catches up.
    cluster.restart(victim);
    cluster.awaitReady();
    await("node " + victim + " to catch up")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                Etcd.prefixContents(cluster.kv(victim), prefix + "-", true)
                    .entrySet()
                    .containsAll(acked.entrySet()));
  }
}
