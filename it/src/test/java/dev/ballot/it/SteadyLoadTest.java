package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A healthy cluster under full load holds no election. Three nodes with the server's default
 * heartbeat and election timeout (or {@code -Dballot.steady.timeouts=HB/ET}) take puts from this
 * JVM, {@code -Dballot.steady.clients} (256) in flight at all times over 16 connections spread over
 * every node, for {@code -Dballot.steady.seconds} (30; {@code scripts/failover.sh} runs 600): every
 * core is busy. No node's term may move and the leader must stay the same; every put must succeed.
 *
 * <p>This is the other side of fast failover: timeouts short enough to replace a dead leader in
 * well under a second must not mistake a busy one for a dead one.
 */
class SteadyLoadTest {
  private static final int CONNECTIONS = 16;
  private static final int KEYS = 10_000;
  private static final int VALUE_BYTES = 256;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration SAMPLE_INTERVAL = Duration.ofSeconds(1);
  private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void aFullyLoadedHealthyClusterHoldsNoElection() throws Exception {
    long seconds = Long.getLong("ballot.steady.seconds", 30);
    int clients = Integer.getInteger("ballot.steady.clients", 256);
    String timeouts = System.getProperty("ballot.steady.timeouts", "server");
    KvCluster cluster = clusters.start(clusters.builder().nodes(3).timeouts(timeouts));
    int leader = cluster.awaitLeader();
    cluster.awaitReady();
    Map<Integer, Long> termsBefore = terms(cluster);
    System.out.printf(
        "steady load: %d puts in flight for %d s, timeouts %s, leader node %d, terms %s%n",
        clients, seconds, timeouts, leader, termsBefore);

    List<ManagedChannel> channels = new ArrayList<>();
    for (int c = 0; c < CONNECTIONS; c++) {
      channels.add(
          ManagedChannelBuilder.forTarget(cluster.clientAddress(c % cluster.size()))
              .usePlaintext()
              .build());
    }
    Load load = new Load(channels);
    long startNanos = System.nanoTime();
    long endNanos = startNanos + TimeUnit.SECONDS.toNanos(seconds);
    Map<Integer, Long> highestTerms = new TreeMap<>(termsBefore);
    List<String> leaderChanges = new ArrayList<>();
    try {
      for (int i = 0; i < clients; i++) {
        load.issue(i);
      }
      long nextProgressNanos = startNanos + PROGRESS_INTERVAL.toNanos();
      while (System.nanoTime() < endNanos) {
        TimeUnit.MILLISECONDS.sleep(SAMPLE_INTERVAL.toMillis()); // a sampling period, not a wait
        cluster.failOnUnexpectedExit();
        sample(cluster, leader, highestTerms, leaderChanges, startNanos);
        if (System.nanoTime() >= nextProgressNanos) {
          nextProgressNanos += PROGRESS_INTERVAL.toNanos();
          System.out.printf(
              "steady load: %4d s, %8d puts acked, %d failed, terms %s%n",
              TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos),
              load.acked.get(),
              load.failed.get(),
              highestTerms);
        }
      }
    } finally {
      load.stop();
      channels.forEach(ManagedChannel::shutdown);
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      }
    }
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    Map<Integer, Long> termsAfter = terms(cluster);
    long elections =
        termsAfter.values().stream().mapToLong(Long::longValue).max().orElse(0)
            - termsBefore.values().stream().mapToLong(Long::longValue).max().orElse(0);
    System.out.printf(
        "steady load: %d puts acked in %d ms (%.0f/s), %d failed; elections %d; terms before %s,"
            + " after %s%n",
        load.acked.get(),
        elapsedMs,
        load.acked.get() * 1000.0 / elapsedMs,
        load.failed.get(),
        elections,
        termsBefore,
        termsAfter);
    load.failures.forEach((reason, n) -> System.out.printf("  %6d %s%n", n, reason));

    assertThat(leaderChanges).as("leader changes seen while sampling").isEmpty();
    assertThat(termsAfter).as("every node's term").isEqualTo(termsBefore);
    assertThat(cluster.leaderIndex()).hasValue(leader);
    assertThat(load.failed.get()).as("failed puts (%s)", load.failures).isZero();
    assertThat(load.acked.get()).as("puts acked").isGreaterThan(clients);
  }

  /** Each node's Raft term. */
  private static Map<Integer, Long> terms(KvCluster cluster) {
    Map<Integer, Long> terms = new TreeMap<>();
    for (int i = 0; i < cluster.size(); i++) {
      terms.put(i, cluster.status(i).getRaftTerm());
    }
    return terms;
  }

  private static void sample(
      KvCluster cluster,
      int leader,
      Map<Integer, Long> highestTerms,
      List<String> leaderChanges,
      long startNanos) {
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      cluster
          .tryStatus(i)
          .ifPresent(
              s -> {
                highestTerms.merge(node, s.getRaftTerm(), Math::max);
                long leaderId = s.getLeader();
                if (leaderId != 0 && leaderId != cluster.memberId(leader)) {
                  leaderChanges.add(
                      String.format(
                          "at %d ms node %d follows member %d in term %d",
                          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                          node,
                          leaderId,
                          s.getRaftTerm()));
                }
              });
    }
  }

  /** Puts in flight: each answer sends the next put at once. */
  private static final class Load {
    private final List<ManagedChannel> channels;
    private final byte[] value = new byte[VALUE_BYTES];
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong acked = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Map<String, Integer> failures = new TreeMap<>();

    Load(List<ManagedChannel> channels) {
      this.channels = channels;
      new Random(1).nextBytes(value);
    }

    void issue(int client) {
      if (stopped.get()) {
        return;
      }
      inFlight.incrementAndGet();
      String key = String.format("steady/%05d", ThreadLocalRandom.current().nextInt(KEYS));
      PutRequest request =
          PutRequest.newBuilder()
              .setKey(ByteString.copyFrom(key, StandardCharsets.UTF_8))
              .setValue(ByteString.copyFrom(value))
              .build();
      KVGrpc.newStub(channels.get(client % channels.size()))
          .withDeadlineAfter(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .put(
              request,
              new StreamObserver<>() {
                @Override
                public void onNext(PutResponse response) {
                  acked.incrementAndGet();
                }

                @Override
                public void onError(Throwable t) {
                  failed.incrementAndGet();
                  synchronized (failures) {
                    failures.merge(String.valueOf(Status.fromThrowable(t)), 1, Integer::sum);
                  }
                  done(client);
                }

                @Override
                public void onCompleted() {
                  done(client);
                }
              });
    }

    private void done(int client) {
      inFlight.decrementAndGet();
      issue(client);
    }

    /** Stops issuing and waits for the puts in flight to end. */
    void stop() {
      stopped.set(true);
      await("the puts in flight to end")
          .atMost(REQUEST_TIMEOUT.plusSeconds(5))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> inFlight.get() == 0);
    }
  }
}
