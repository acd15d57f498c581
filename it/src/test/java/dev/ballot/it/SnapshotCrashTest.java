package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.storage.CrashPoints;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node killed at each step of taking, sending, receiving or installing a snapshot (by {@code
 * -Dballot.crashpoint}, see {@link CrashPoints}) restarts correctly: it catches up, every node
 * serves the same keys, values and revisions, and no acknowledged write is lost.
 */
class SnapshotCrashTest {
  /** Writes per round while waiting for a node to die taking a snapshot; over the threshold. */
  private static final int TAKE_WRITES = 150;

  private static final int MAX_TAKE_ROUNDS = 10;

  /** With 1 KiB values the snapshot is over 1 MiB: more than one chunk, so "mid-stream" exists. */
  private static final int FAR_BEHIND_WRITES = 1_500;

  private static final String PADDING = "x".repeat(1_024);
  private static final Duration CRASH_BOUND = Duration.ofSeconds(30);
  private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(60);

  /** One cluster for every step, each leaving it whole again: it saves a start per step. */
  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;

  /** Every write acknowledged so far, by any step. */
  private static final Map<String, String> written = new LinkedHashMap<>();

  /** Where a crash point sits, which decides who gets it and what makes the node reach it. */
  enum Step {
    TAKE_AFTER_CHECKPOINT(CrashPoints.TAKE_AFTER_CHECKPOINT),
    TAKE_BEFORE_COMPACT(CrashPoints.TAKE_BEFORE_COMPACT),
    SEND_MID_STREAM(CrashPoints.SEND_MID_STREAM),
    RECEIVE_MID_STREAM(CrashPoints.RECEIVE_MID_STREAM),
    RECEIVE_STAGED(CrashPoints.RECEIVE_STAGED),
    INSTALL_AFTER_MARKER(CrashPoints.INSTALL_AFTER_MARKER),
    INSTALL_AFTER_INGEST(CrashPoints.INSTALL_AFTER_INGEST),
    INSTALL_AFTER_LOG_REPLACED(CrashPoints.INSTALL_AFTER_LOG_REPLACED);

    final String point;

    Step(String point) {
      this.point = point;
    }

    String jvmArg() {
      return "-D" + CrashPoints.PROPERTY + "=" + point;
    }
  }

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(SnapshotCatchUpTest.smallSnapshots(clusters.builder()));
  }

  @ParameterizedTest
  @EnumSource(Step.class)
  void nodeKilledAtSnapshotStepRestartsAndCatchesUp(Step step) throws Exception {
    assertThat(CrashPoints.ALL).contains(step.point);
    cluster.awaitReady();
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();
    int other = (leader + 2) % cluster.size();
    String prefix = "c-" + step.ordinal() + "-";
    int crashed;

    switch (step) {
      case TAKE_AFTER_CHECKPOINT, TAKE_BEFORE_COMPACT -> {
        // A follower with the crash point dies when it snapshots during the writes.
        // Written in rounds until it is gone: when it next snapshots depends on where it was.
        cluster.restartWithJvmArgs(follower, step.jvmArg());
        cluster.awaitReady();
        for (int round = 0; round < MAX_TAKE_ROUNDS && cluster.isRunning(follower); round++) {
          write(leader, prefix + "take-" + round + "-", TAKE_WRITES, false);
        }
        crashed = follower;
      }
      case SEND_MID_STREAM -> {
        // The follower falls far behind; then the leader, alone with it (so it must lead), is
        // restarted with the crash point and dies midway through sending it the snapshot.
        cluster.stop(follower);
        write(leader, prefix + "send-", FAR_BEHIND_WRITES, true);
        cluster.stop(other);
        cluster.restartWithJvmArgs(leader, step.jvmArg());
        cluster.restart(follower);
        crashed = leader;
      }
      default -> {
        // The follower falls far behind and dies while receiving or installing the snapshot.
        cluster.stop(follower);
        write(leader, prefix + "far-", FAR_BEHIND_WRITES, true);
        cluster.restartWithJvmArgs(follower, step.jvmArg());
        crashed = follower;
      }
    }

    assertThat(cluster.awaitOwnExit(crashed, CRASH_BOUND))
        .as("exit code of node %d at %s", crashed, step.point)
        .isEqualTo(CrashPoints.EXIT_CODE);
    assertThat(
            SnapshotCatchUpTest.logContains(
                cluster.logFile(crashed), "crashpoint hit name=" + step.point))
        .as("node %d's log says it halted at %s", crashed, step.point)
        .isTrue();

    for (int i = 0; i < cluster.size(); i++) {
      if (!cluster.isRunning(i)) {
        cluster.restart(i);
      }
    }
    cluster.awaitReady();
    int newLeader = cluster.awaitLeader();
    write(newLeader, prefix + "after-", 20, false);
    assertSameDataOnEveryNode(newLeader);
  }

  private static void write(int node, String prefix, int count, boolean large)
      throws InterruptedException {
    CrashRecoveryTest.writeConcurrently(cluster, node, prefix, count, i -> value(i, large));
    for (int i = 0; i < count; i++) {
      written.put(String.format("%s%05d", prefix, i), value(i, large));
    }
  }

  private static String value(int i, boolean large) {
    return large ? "value-" + i + "-" + PADDING : "value-" + i;
  }

  /**
   * Every node serves, on serializable reads, exactly the keys, values and revisions the leader
   * serves, and those hold every acknowledged write.
   */
  private static void assertSameDataOnEveryNode(int leader) {
    // Read one step's prefix at a time: all of them at once exceed gRPC's 4 MiB message limit.
    long revision = Etcd.get(cluster.kv(leader), "c-", false).getHeader().getRevision();
    Map<String, List<KeyValue>> expected = new TreeMap<>();
    Map<String, String> served = new LinkedHashMap<>();
    for (String prefix : stepPrefixes()) {
      RangeResponse range = Etcd.getPrefix(cluster.kv(leader), prefix, false);
      expected.put(prefix, range.getKvsList());
      range
          .getKvsList()
          .forEach(kv -> served.put(kv.getKey().toStringUtf8(), kv.getValue().toStringUtf8()));
    }
    assertThat(served).as("every acknowledged write").containsAllEntriesOf(written);
    assertThat(served).as("nothing but the acknowledged writes").hasSameSizeAs(written);
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await("node " + node + " to reach revision " + revision)
          .atMost(CATCH_UP_BOUND)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                cluster.failOnUnexpectedExit();
                return Etcd.get(cluster.kv(node), "c-", true).getHeader().getRevision() >= revision;
              });
      for (Map.Entry<String, List<KeyValue>> step : expected.entrySet()) {
        assertThat(
                CrashRecoveryTest.revisions(
                    Etcd.getPrefix(cluster.kv(node), step.getKey(), true).getKvsList()))
            .as("keys, values and revisions under %s served by node %d", step.getKey(), node)
            .containsExactlyElementsOf(CrashRecoveryTest.revisions(step.getValue()));
      }
    }
  }

  /** {@code c-0-}, {@code c-1-}, ...: the prefixes of the steps that wrote so far. */
  private static Set<String> stepPrefixes() {
    Set<String> prefixes = new TreeSet<>();
    for (String key : written.keySet()) {
      prefixes.add(key.substring(0, key.indexOf('-', 2) + 1));
    }
    return prefixes;
  }
}
