package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.BallotClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Planned stops (SIGTERM) cost no election: a leader hands leadership to another voter before it
 * exits, so the next leader leads in exactly the next term, and writes go on. Three clients write
 * through every node (each starts at another node and moves on when it fails). Wall-clock bounds
 * are not asserted on a shared machine; the longest write gap of each stop is printed. With {@code
 * -Dballot.it.server=etcd} it runs against etcd, which also hands leadership over on stop.
 */
class GracefulLeaderStopTest {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration PROGRESS_BOUND = Duration.ofSeconds(30);
  private static final int ACKS_BETWEEN_STEPS = 20;

  @RegisterExtension final Clusters clusters = new Clusters();

  private final List<BallotClient> clients = new ArrayList<>();
  private final List<ClientWriter> writers = new ArrayList<>();

  @AfterEach
  void closeClients() {
    writers.forEach(ClientWriter::close);
    clients.forEach(BallotClient::close);
  }

  @Test
  void sigtermedLeaderHandsOverToANodeThatLeadsInTheNextTerm() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    long term = cluster.status(leader).getRaftTerm();
    startWriters(cluster);
    awaitProgress(System.nanoTime());

    long stopNanos = System.nanoTime();
    int exitCode = cluster.stop(leader);
    int next = cluster.awaitLeader(Set.of(leader));
    awaitProgress(stopNanos);

    assertThat(exitCode)
        .as("exit code of the stopped leader")
        .isEqualTo(cluster.flavor().cleanStopExitCode());
    assertThat(cluster.status(next).getRaftTerm())
        .as("term of the new leader: a handover, not an election after a timeout")
        .isEqualTo(term + 1);
    List<ClientWriter.Write> writes = stopWriters();
    System.out.printf(
        "graceful leader stop: node %d -> node %d, longest write gap %d ms%n",
        leader, next, longestGapMs(writes, stopNanos, System.nanoTime()));
    assertNoAcknowledgedWriteLost(cluster, next, writes);
  }

  @Test
  void rollingRestartOfEveryNodeElectsNoLeaderByTimeout() {
    KvCluster cluster = clusters.start(3);
    startWriters(cluster);
    awaitProgress(System.nanoTime());

    List<String> steps = new ArrayList<>();
    int rounds = Integer.getInteger("ballot.rolling.rounds", 1);
    for (int step = 0; step < rounds * cluster.size(); step++) {
      int leader = cluster.awaitLeader();
      // Each round restarts the two followers, then the leader, which hands over.
      int node = (leader + 1 + step % cluster.size()) % cluster.size();
      long term = cluster.status(leader).getRaftTerm();
      long stopNanos = System.nanoTime();
      int exitCode = cluster.stop(node);
      assertThat(exitCode)
          .as("exit code of node %d after SIGTERM", node)
          .isEqualTo(cluster.flavor().cleanStopExitCode());
      int leaderAfter = cluster.awaitLeader(Set.of(node));
      cluster.restart(node);
      cluster.awaitReady();
      awaitProgress(stopNanos);
      long termAfter = cluster.status(leaderAfter).getRaftTerm();
      if (node == leader) {
        assertThat(termAfter)
            .as("term after the leader (node %d) stopped: one handover, no election", node)
            .isEqualTo(term + 1);
      } else {
        assertThat(leaderAfter).as("leader after follower %d restarted", node).isEqualTo(leader);
        assertThat(termAfter)
            .as("term after follower %d restarted: no election", node)
            .isEqualTo(term);
      }
      steps.add(
          String.format(
              "node %d (%s): longest write gap %d ms, term %d -> %d",
              node,
              node == leader ? "leader" : "follower",
              longestGapMs(writesSoFar(), stopNanos, System.nanoTime()),
              term,
              termAfter));
    }
    List<ClientWriter.Write> writes = stopWriters();
    System.out.println("rolling restart:\n  " + String.join("\n  ", steps));
    assertNoAcknowledgedWriteLost(cluster, cluster.awaitLeader(), writes);
  }

  /** One writer per node, each with every endpoint, starting at its own node. */
  private void startWriters(KvCluster cluster) {
    int n = cluster.size();
    for (int w = 0; w < n; w++) {
      int start = w;
      int[] order = IntStream.range(0, n).map(i -> (start + i) % n).toArray();
      BallotClient client = ClientCalls.client(cluster, REQUEST_TIMEOUT, order);
      clients.add(client);
      writers.add(ClientWriter.start(client, REQUEST_TIMEOUT, "stop/w" + w));
    }
  }

  /** Every writer gets writes acknowledged that it started after {@code nanos}. */
  private void awaitProgress(long nanos) {
    for (ClientWriter writer : writers) {
      writer.awaitAckedStartedAfter(nanos, ACKS_BETWEEN_STEPS, PROGRESS_BOUND);
    }
  }

  private List<ClientWriter.Write> writesSoFar() {
    List<ClientWriter.Write> all = new ArrayList<>();
    writers.forEach(w -> all.addAll(w.writes()));
    return all;
  }

  private List<ClientWriter.Write> stopWriters() {
    List<ClientWriter.Write> all = new ArrayList<>();
    writers.forEach(w -> all.addAll(w.stop()));
    Map<ClientWriter.Outcome, Long> outcomes = new LinkedHashMap<>();
    all.forEach(w -> outcomes.merge(w.outcome(), 1L, Long::sum));
    System.out.println("writes by outcome: " + outcomes);
    all.stream()
        .filter(w -> w.outcome() != ClientWriter.Outcome.ACKED)
        .limit(5)
        .forEach(w -> System.out.println("  " + w.key() + " " + w.failure()));
    assertThat(all)
        .as("writes that ended in an answer a client must never get")
        .noneMatch(w -> w.outcome() == ClientWriter.Outcome.OTHER);
    return all;
  }

  /** The longest time in [fromNanos, toNanos] without a write being acknowledged. */
  private static long longestGapMs(List<ClientWriter.Write> writes, long fromNanos, long toNanos) {
    long[] acks =
        writes.stream()
            .filter(w -> w.outcome() == ClientWriter.Outcome.ACKED)
            .mapToLong(ClientWriter.Write::endNanos)
            .filter(t -> t >= fromNanos && t <= toNanos)
            .sorted()
            .toArray();
    long previous = fromNanos;
    long longest = 0;
    for (long ack : acks) {
      longest = Math.max(longest, ack - previous);
      previous = ack;
    }
    return Math.max(longest, toNanos - previous) / 1_000_000;
  }

  private static void assertNoAcknowledgedWriteLost(
      KvCluster cluster, int node, List<ClientWriter.Write> writes) {
    Map<String, String> acked = new LinkedHashMap<>();
    writes.stream()
        .filter(w -> w.outcome() == ClientWriter.Outcome.ACKED)
        .forEach(w -> acked.put(w.key(), w.value()));
    assertThat(acked).as("acknowledged writes").isNotEmpty();
    assertThat(Etcd.prefixContents(cluster.kv(node), "stop/", false))
        .as("linearizable read of every written key on node %d", node)
        .containsAllEntriesOf(acked);
  }
}
