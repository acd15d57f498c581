package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.cli.ExitCodes;
import dev.ballot.client.BallotClient;
import dev.ballot.client.BallotException;
import dev.ballot.client.KeyValue;
import dev.ballot.it.ClientWriter.Outcome;
import dev.ballot.it.ClientWriter.Write;
import dev.ballot.it.KvctlIT.Run;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client goes on through the other endpoints when the node it writes through dies (SIGKILL) or
 * freezes (SIGSTOP), and says "outcome unknown" only for writes that may have been applied: the
 * ones in flight on the node, never one it refused to send. Several writers share one client and
 * write through the leader, the worst node to lose. Each test prints the longest time without an
 * acknowledged write; timings are printed, not asserted.
 */
class ClientFailoverIT {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final int WRITERS = 3;
  private static final int ACKED_AFTER_FAULT = 20;
  private static final Duration SETTLE_BOUND = Duration.ofSeconds(30);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void killedNodeCostsOnlyTheWritesInFlightOnItAndLosesNoAcknowledgedWrite() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    String killed = cluster.clientAddress(leader);

    List<Write> writes;
    long faultNanos;
    try (BallotClient client = client(cluster, REQUEST_TIMEOUT, leaderFirst(cluster, leader))) {
      List<ClientWriter> writers = startWriters(client, "kill");
      awaitAcked(writers, 0, 5);

      faultNanos = System.nanoTime();
      cluster.kill9(leader);
      awaitAcked(writers, faultNanos, ACKED_AFTER_FAULT);
      writes = stopAll(writers);
    }
    report("kill -9 of the node written through", writes, faultNanos);

    assertThat(writes)
        .as("every write is acknowledged, unknown or unavailable")
        .filteredOn(w -> w.outcome() == Outcome.OTHER)
        .isEmpty();
    assertAtMostOneUnknownPerWriterAt(killed, "kill", writes);
    ClientWriter.assertStoredAsAnswered(cluster, "kill", writes);
  }

  @Test
  void frozenNodeHoldsWritesForAtMostOneDeadlineThenTheOthersServe() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    String frozen = cluster.clientAddress(leader);

    List<Write> writes;
    long faultNanos;
    try (BallotClient client = client(cluster, REQUEST_TIMEOUT, leaderFirst(cluster, leader))) {
      List<ClientWriter> writers = startWriters(client, "stop");
      awaitAcked(writers, 0, 5);

      faultNanos = System.nanoTime();
      cluster.pause(leader);
      try {
        awaitAcked(writers, faultNanos, ACKED_AFTER_FAULT);
        writes = stopAll(writers);
      } finally {
        cluster.resume(leader);
      }
    }
    report("SIGSTOP of the node written through", writes, faultNanos);

    assertThat(writes)
        .as("every write is acknowledged, unknown or unavailable")
        .filteredOn(w -> w.outcome() == Outcome.OTHER)
        .isEmpty();
    assertAtMostOneUnknownPerWriterAt(frozen, "stop", writes);
    ClientWriter.assertStoredAsAnswered(cluster, "stop", writes);
  }

  @Test
  void kvctlPutsThroughTheNextEndpointWhenTheFirstIsKilledOrFrozen() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int frozen = (leader + 1) % 3;
    String dead = "127.0.0.1:" + FreePorts.take(1).get(0); // as a killed node: connection refused
    String frozenAddress = cluster.clientAddress(frozen);
    String leaderAddress = cluster.clientAddress(leader);
    cluster.pause(frozen);
    Run deadFirst;
    Run frozenFirst;
    try {
      deadFirst =
          KvctlIT.run(
              "--endpoints",
              String.join(",", dead, frozenAddress, leaderAddress),
              "--timeout",
              "5s",
              "put",
              "kvctl/dead-first",
              "v1");
      frozenFirst =
          KvctlIT.run(
              "--endpoints",
              String.join(",", frozenAddress, dead, leaderAddress),
              "--timeout",
              "5s",
              "put",
              "kvctl/frozen-first",
              "v2");
    } finally {
      cluster.resume(frozen);
    }

    assertThat(deadFirst).isEqualTo(new Run(ExitCodes.OK, "OK\n", ""));
    assertThat(frozenFirst).isEqualTo(new Run(ExitCodes.OK, "OK\n", ""));
    try (BallotClient client = clientOfAll(cluster)) {
      assertThat(value(client.get("kvctl/dead-first")).map(KeyValue::version)).contains(1L);
      assertThat(value(client.get("kvctl/frozen-first")).map(KeyValue::version)).contains(1L);
    }
  }

  @Test
  void kvctlSaysOutcomeUnknownWhenTheNodeItWroteToCannotReachTheFrozenLeader() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % 3;
    int other = (leader + 2) % 3;
    cluster.pause(leader);
    cluster.pause(other);
    Run put;
    try {
      put =
          KvctlIT.run(
              "--endpoints",
              cluster.clientAddress(follower),
              "--timeout",
              "2s",
              "put",
              "unknown/k",
              "v");
    } finally {
      cluster.resume(other);
      cluster.resume(leader);
    }

    // The follower forwarded the write to the leader, which froze: it may still commit it.
    assertThat(put.code()).as(put.toString()).isEqualTo(ExitCodes.OUTCOME_UNKNOWN);
    assertThat(put.err())
        .startsWith("kvctl: outcome unknown, the write may or may not have been applied: ")
        .contains(cluster.clientAddress(follower));
    assertThat(put.err().lines()).hasSize(1);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static int[] leaderFirst(KvCluster cluster, int leader) {
    return IntStream.range(0, cluster.size()).map(i -> (leader + i) % cluster.size()).toArray();
  }

  private static List<ClientWriter> startWriters(BallotClient client, String prefix) {
    List<ClientWriter> writers = new ArrayList<>();
    for (int i = 0; i < WRITERS; i++) {
      writers.add(ClientWriter.start(client, REQUEST_TIMEOUT, prefix + i));
    }
    return writers;
  }

  private static void awaitAcked(List<ClientWriter> writers, long afterNanos, int count) {
    for (ClientWriter writer : writers) {
      writer.awaitAckedStartedAfter(afterNanos, count, SETTLE_BOUND);
    }
  }

  private static List<Write> stopAll(List<ClientWriter> writers) {
    List<Write> all = new ArrayList<>();
    for (ClientWriter writer : writers) {
      all.addAll(writer.stop());
    }
    return all;
  }

  /**
   * Each writer saw at most one write fail at the broken endpoint: the one in flight there when it
   * broke. Later writes are not sent there (a refused connection fails them unsent, and a node that
   * let a request time out is avoided), so none of them may end "unknown" or "unavailable" there.
   */
  private static void assertAtMostOneUnknownPerWriterAt(
      String endpoint, String prefix, List<Write> writes) {
    for (int writer = 0; writer < WRITERS; writer++) {
      String keys = prefix + writer + "-";
      assertThat(writes)
          .as("writer %d: writes failed at the broken endpoint %s", writer, endpoint)
          .filteredOn(w -> w.key().startsWith(keys))
          .filteredOn(w -> w.outcome() != Outcome.ACKED && endpoint.equals(endpointOf(w)))
          .hasSizeLessThanOrEqualTo(1);
    }
  }

  private static String endpointOf(Write write) {
    return write.failure() instanceof BallotException e ? e.endpoint() : null;
  }

  /**
   * Prints the longest time without an acknowledged write (over all writers) from the fault on, and
   * how each write ended.
   */
  private static void report(String fault, List<Write> writes, long faultNanos) {
    List<Long> ackedNanos =
        writes.stream()
            .filter(w -> w.outcome() == Outcome.ACKED)
            .map(Write::endNanos)
            .sorted()
            .toList();
    long previous =
        ackedNanos.stream().filter(t -> t <= faultNanos).reduce((a, b) -> b).orElse(faultNanos);
    long longestGapNanos = 0;
    for (long t : ackedNanos) {
      if (t > faultNanos) {
        longestGapNanos = Math.max(longestGapNanos, t - previous);
        previous = t;
      }
    }
    Map<Outcome, Long> outcomes =
        writes.stream().collect(Collectors.groupingBy(Write::outcome, Collectors.counting()));
    System.out.printf(
        "%s: longest gap between acknowledged writes %d ms; outcomes %s%n",
        fault, Duration.ofNanos(longestGapNanos).toMillis(), outcomes);
    writes.stream()
        .filter(w -> w.outcome() != Outcome.ACKED)
        .forEach(
            w ->
                System.out.printf(
                    "  %s started %+d ms after the fault: %s%n",
                    w.key(),
                    Duration.ofNanos(w.startNanos() - faultNanos).toMillis(),
                    w.failure().getMessage()));
  }
}
