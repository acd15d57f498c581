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

  /** KvServer.EXIT_CORRUPT_DATA. */
  static final int EXIT_CORRUPT_DATA = 4;

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
    failSyncsAndCheck(cluster, (leader + 1) % cluster.size(), "EIO", "follower");
  }

  /** A full disk (ENOSPC from fdatasync) fences the node the same way; nothing is half written. */
  @Test
  void followerWhoseDiskIsFullStopsAndRecoversOnRestart() throws Exception {
    KvCluster cluster = clusters.start();
    int leader = cluster.awaitLeader();
    failSyncsAndCheck(cluster, (leader + 1) % cluster.size(), "ENOSPC", "full");
  }

  @Test
  void leaderWhoseSyncFailsStopsAndTheOthersServe() throws Exception {
    KvCluster cluster = clusters.start();
    failSyncsAndCheck(cluster, cluster.awaitLeader(), "EIO", "leader");
  }

  @Test
  void nodeWithADamagedFileRefusesToStartAndTheOthersServe() throws Exception {
    KvCluster cluster = clusters.start();
    int leader = cluster.awaitLeader();
    int victim = (leader + 1) % cluster.size();
    CrashRecoveryTest.writeConcurrently(cluster, leader, "before-", 200);
    cluster.stop(victim);

    // Flip one bit in the middle of what its newest Raft log segment holds.
    Path db = cluster.dataDir(victim).resolve("db");
    Path damaged;
    try (var files = Files.list(db.resolve("raft-log"))) {
      damaged =
          files
              .filter(p -> p.toString().endsWith(".seg"))
              .max(java.util.Comparator.naturalOrder())
              .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(damaged);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--; // the rest of the segment is zeros, not yet written
    }
    try (var file = new java.io.RandomAccessFile(damaged.toFile(), "rw")) {
      long middle = end / 2;
      file.seek(middle);
      int b = file.read();
      file.seek(middle);
      file.write(b ^ 0x08);
    }

    long logBytesBefore = Files.size(cluster.logFile(victim));
    cluster.restart(victim);
    cluster.expectOwnExit(victim);
    assertThat(cluster.awaitOwnExit(victim, FENCE_BOUND))
        .as("exit code of node %d started on a damaged %s", victim, damaged.getFileName())
        .isEqualTo(EXIT_CORRUPT_DATA);
    String log = Files.readString(cluster.logFile(victim)).substring((int) logBytesBefore);
    assertThat(log).contains("cannot start: corrupt data: raft storage").contains(db.toString());
    assertThat(log).as("one clear line, no stack trace").doesNotContain("\tat ");

    // The two others go on serving.
    int current = cluster.awaitLeader(Set.of(victim));
    CrashRecoveryTest.writeConcurrently(cluster, current, "after-", 20);
    assertThat(Etcd.prefixContents(cluster.kv(current), "before-", false)).hasSize(200);
  }

  private static void failSyncsAndCheck(KvCluster cluster, int victim, String errno, String prefix)
      throws Exception {
    Map<String, String> acked;
    try (AckedWriter writer = AckedWriter.start(cluster, prefix)) {
      writer.awaitMoreAcked(50, Duration.ofSeconds(30));
      cluster.expectOwnExit(victim);
      Path straceLog = cluster.dir().resolve("strace-node" + victim + ".log");
      try (SyscallFaults faults = SyscallFaults.failSyncs(cluster.pid(victim), errno, straceLog)) {
        assertThat(cluster.awaitOwnExit(victim, FENCE_BOUND))
            .as("exit code of node %d once its syncs fail", victim)
            .isEqualTo(EXIT_DISK_FAILURE);
      }
      String log = Files.readString(cluster.logFile(victim));
      assertThat(log)
          .contains("disk failure, stopping the node without acknowledging anything more")
          .contains("operation=\"raft storage sync\"")
          .contains("path=" + cluster.dataDir(victim).resolve("db"))
          .contains(errno.equals("EIO") ? "Input/output error" : "No space left on device");
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
