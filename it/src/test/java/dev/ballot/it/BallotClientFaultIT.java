package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.failure;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.client.BallotClient;
import dev.ballot.client.BallotException;
import dev.ballot.client.KeyValue;
import dev.ballot.client.OutcomeUnknownException;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.UnavailableException;
import dev.ballot.it.ClientWriter.Outcome;
import dev.ballot.it.ClientWriter.Write;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the Java client answers when nodes of a real cluster fail under it: the leader killed
 * (SIGKILL) during a stream of writes, the leader hung (SIGSTOP) under a write, the only node it
 * knows cut off from the others. It may say "outcome unknown" or "unavailable", never a wrong
 * answer; an acknowledged write is never lost and an unavailable one never written. Each test
 * breaks its own cluster.
 */
class BallotClientFaultIT {
  private static final Duration FAILOVER_REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration WRITES_RESUME_BOUND = Duration.ofSeconds(5);
  private static final Duration SHORT_DEADLINE = Duration.ofSeconds(1);
  private static final Duration MINORITY_DEADLINE = Duration.ofSeconds(3);
  private static final Duration SETTLE_BOUND = Duration.ofSeconds(30);

  /** Slack for the JVM and a loaded machine between a deadline passing and the failure arriving. */
  private static final Duration LATE_FAILURE_SLACK = Duration.ofSeconds(2);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void killedLeaderCostsOnlyUnknownOrUnavailableWritesAndNoAcknowledgedOne() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int[] leaderFirst = IntStream.range(0, 3).map(i -> (leader + i) % 3).toArray();

    List<Write> writes;
    long killNanos;
    try (BallotClient client = client(cluster, FAILOVER_REQUEST_TIMEOUT, leaderFirst);
        ClientWriter writer = ClientWriter.start(client, FAILOVER_REQUEST_TIMEOUT, "failover")) {
      writer.awaitAckedStartedAfter(0, 20, SETTLE_BOUND);

      killNanos = System.nanoTime();
      cluster.kill9(leader);
      writer.awaitAckedStartedAfter(killNanos, 1, WRITES_RESUME_BOUND);
      writer.awaitAckedStartedAfter(killNanos, 20, SETTLE_BOUND);
      writes = writer.stop();
    }

    assertThat(writes)
        .as("every write either succeeds or fails with OutcomeUnknown/Unavailable: %s", writes)
        .filteredOn(w -> w.outcome() == Outcome.OTHER)
        .isEmpty();
    List<Write> acked = writes.stream().filter(w -> w.outcome() == Outcome.ACKED).toList();
    assertThat(acked)
        .as("one write at a time: each acknowledged revision is above the one before")
        .extracting(Write::revision)
        .isSorted()
        .doesNotHaveDuplicates();

    ClientWriter.assertStoredAsAnswered(cluster, "failover-", writes);
  }

  @Test
  void writeToAPausedLeaderEndsOutcomeUnknownAndIsNotRetried() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int[] leaderFirst = IntStream.range(0, 3).map(i -> (leader + i) % 3).toArray();

    try (BallotClient client = client(cluster, SHORT_DEADLINE, leaderFirst)) {
      value(client.put("unknown/warm-up", "connects to the leader"), SHORT_DEADLINE);

      cluster.pause(leader);
      long start = System.nanoTime();
      Throwable failure;
      try {
        failure = failure(client.put("unknown/k", "v"), SHORT_DEADLINE);
      } finally {
        cluster.resume(leader);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
      assertThat(((BallotException) failure).endpoint()).isEqualTo(cluster.clientAddress(leader));
      assertThat(took).isLessThan(SHORT_DEADLINE.plus(LATE_FAILURE_SLACK));
    }

    try (BallotClient client = clientOfAll(cluster)) {
      awaitWriteThrough(cluster, leader, "unknown/settled");
      Optional<KeyValue> written = value(client.get("unknown/k"));
      assertThat(written.map(KeyValue::version).orElse(0L))
          .as("the write the client gave up on was applied at most once: %s", written)
          .isLessThanOrEqualTo(1);
    }
  }

  @Test
  void isolatedFollowerRefusesAWriteWithinTheDeadlineAndNeverAppliesIt() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().supportsLinkFaults(),
        "isolating a node needs per-link proxies");
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();

    try (BallotClient followerOnly = client(cluster, MINORITY_DEADLINE, follower);
        BallotClient leaderOnly = client(cluster, leader)) {
      value(leaderOnly.put("minority/before", "1"));
      awaitServes(followerOnly, "minority/before");

      cluster.isolate(follower);
      long start = System.nanoTime();
      Throwable failure =
          failure(followerOnly.put("minority/k", "must-not-commit"), MINORITY_DEADLINE);
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(failure)
          .isInstanceOfAny(UnavailableException.class, OutcomeUnknownException.class);
      assertThat(took).isLessThan(MINORITY_DEADLINE.plus(LATE_FAILURE_SLACK));

      value(leaderOnly.put("minority/majority", "goes on"));
      cluster.heal();
      awaitServes(followerOnly, "minority/majority");
      awaitWriteThrough(cluster, follower, "minority/after-heal");

      assertThat(value(followerOnly.get("minority/k"))).as("linearizable read").isEmpty();
      for (int node = 0; node < cluster.size(); node++) {
        try (BallotClient one = client(cluster, node)) {
          awaitServes(one, "minority/after-heal");
          assertThat(
                  value(one.range(RangeOptions.builder("minority/k").serializable().build())).kvs())
              .as("the minority write on node %d", node)
              .isEmpty();
        }
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Waits until the client's only node serves {@code key} from its own copy. */
  private static void awaitServes(BallotClient client, String key) {
    await(client.endpoints() + " to serve " + key)
        .atMost(SETTLE_BOUND)
        .ignoreExceptionsInstanceOf(BallotException.class)
        .until(
            () ->
                !value(client.range(RangeOptions.builder(key).serializable().build()))
                    .kvs()
                    .isEmpty());
  }

  /** Waits until a write through node {@code node} succeeds: the cluster has settled around it. */
  private static void awaitWriteThrough(KvCluster cluster, int node, String key) {
    try (BallotClient client = client(cluster, node)) {
      await("a write through node " + node)
          .atMost(SETTLE_BOUND)
          .ignoreExceptionsInstanceOf(BallotException.class)
          .until(() -> value(client.put(key, "ok")).revision() > 0);
    }
  }
}
