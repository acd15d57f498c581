package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real nodes merge the history's small files: with a snapshot every 100 entries, each snapshot's
 * flush leaves the history a small file, and once 64 of them reached the last level every node
 * merges them (its log says {@code history files merged}). Reads of past revisions, which come from
 * the history, then give the same keys, values and revisions on every node, before and after a
 * restart of all three.
 */
class HistoryMergeTest {
  private static final int KEYS = 100;
  private static final int ROUNDS = 150;
  private static final String PREFIX = "hist-";

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void nodesMergeTheHistorysSmallFilesAndServeTheSameHistory() throws Exception {
    KvCluster cluster = clusters.start(SnapshotCatchUpTest.smallSnapshots(clusters.builder()));
    int leader = cluster.awaitLeader();
    for (int round = 0; round < ROUNDS; round++) {
      int r = round;
      CrashRecoveryTest.writeConcurrently(cluster, leader, PREFIX, KEYS, i -> "round-" + r);
    }
    long newest = Etcd.getPrefix(cluster.kv(leader), PREFIX, false).getHeader().getRevision();
    // Round r's puts made the revisions base + r * KEYS + 1 through base + (r + 1) * KEYS.
    long base = newest - (long) KEYS * ROUNDS;
    assertThat(base).isGreaterThanOrEqualTo(1);

    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      await("node " + node + " to merge history files")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> SnapshotCatchUpTest.logContains(cluster.logFile(node), "history files merged"));
    }
    long[] revisions = sampleRevisions(base, newest);
    assertSameHistoryOnEveryNode(cluster, base, revisions);

    for (int i = 0; i < cluster.size(); i++) {
      cluster.stop(i);
    }
    for (int i = 0; i < cluster.size(); i++) {
      cluster.restart(i);
    }
    cluster.awaitReady();
    cluster.awaitLeader();
    assertSameHistoryOnEveryNode(cluster, base, revisions);
  }

  private static long[] sampleRevisions(long base, long newest) {
    Random random = new Random(3);
    long[] revisions = new long[20];
    for (int i = 0; i < revisions.length; i++) {
      revisions[i] = base + 1 + (long) (random.nextDouble() * (newest - base));
    }
    revisions[0] = base + KEYS + 1; // early: in the oldest files
    return revisions;
  }

  /** Every node, at each revision, gives the same keys, each with the value of its write. */
  private static void assertSameHistoryOnEveryNode(KvCluster cluster, long base, long[] revisions) {
    for (long revision : revisions) {
      List<KeyValue> first = null;
      for (int node = 0; node < cluster.size(); node++) {
        List<KeyValue> kvs = at(cluster, node, revision).getKvsList();
        for (KeyValue kv : kvs) {
          assertThat(kv.getModRevision()).isLessThanOrEqualTo(revision);
          assertThat(kv.getValue().toStringUtf8())
              .isEqualTo("round-" + (kv.getModRevision() - base - 1) / KEYS);
        }
        if (first == null) {
          first = kvs;
          // After the first round every key exists at every later revision.
          if (revision > base + KEYS) {
            assertThat(kvs).hasSize(KEYS);
          }
        } else {
          assertThat(kvs).as("node %d at revision %d", node, revision).isEqualTo(first);
        }
      }
    }
  }

  private static RangeResponse at(KvCluster cluster, int node, long revision) {
    ByteString prefix = Etcd.bytes(PREFIX);
    return Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE)
        .range(
            RangeRequest.newBuilder()
                .setKey(prefix)
                .setRangeEnd(Etcd.prefixEnd(prefix))
                .setRevision(revision)
                .setSerializable(true)
                .build());
  }
}
