package dev.ballot.it;

import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.kv;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.BallotClient;
import dev.ballot.client.KeyValue;
import dev.ballot.client.OutcomeUnknownException;
import dev.ballot.client.PutResult;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.UnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Writes {@code prefix-000001 = v1}, {@code prefix-000002 = v2}, ... one at a time through one
 * {@link BallotClient} on its own thread, and records how each write ended. Every write has a key
 * of its own, so a write whose outcome is unknown never hides behind a later one.
 */
final class ClientWriter implements AutoCloseable {
  private static final int MAX_WRITES = 100_000;
  private static final long PAUSE_AFTER_FAILURE_MS = 20;

  /** How one write ended. */
  enum Outcome {
    ACKED,
    OUTCOME_UNKNOWN,
    UNAVAILABLE,
    /** Anything else: the client answered what it must never answer here. */
    OTHER
  }

  /**
   * One write.
   *
   * @param revision the revision the client reported, for an acknowledged write; else 0
   * @param failure what it failed with, else null
   */
  record Write(
      String key,
      String value,
      long startNanos,
      long endNanos,
      Outcome outcome,
      long revision,
      Throwable failure) {}

  private final BallotClient client;
  private final Duration requestTimeout;
  private final String prefix;
  private final Thread thread;
  private final List<Write> writes = new ArrayList<>();
  private volatile boolean stopping;

  private ClientWriter(BallotClient client, Duration requestTimeout, String prefix) {
    this.client = client;
    this.requestTimeout = requestTimeout;
    this.prefix = prefix;
    this.thread = new Thread(this::run, "client-writer-" + prefix);
    this.thread.setDaemon(true);
  }

  /** Starts writing through {@code client}, whose deadline is {@code requestTimeout}. */
  static ClientWriter start(BallotClient client, Duration requestTimeout, String prefix) {
    ClientWriter writer = new ClientWriter(client, requestTimeout, prefix);
    writer.thread.start();
    return writer;
  }

  synchronized List<Write> writes() {
    return List.copyOf(writes);
  }

  /** Acknowledged writes that started after {@code nanos} ({@link System#nanoTime()}). */
  synchronized long ackedStartedAfter(long nanos) {
    return writes.stream()
        .filter(w -> w.outcome() == Outcome.ACKED && w.startNanos() > nanos)
        .count();
  }

  /** Waits until {@code count} writes that started after {@code nanos} are acknowledged. */
  void awaitAckedStartedAfter(long nanos, int count, Duration timeout) {
    await(count + " acknowledged writes of " + prefix + " started after the mark")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              if (!thread.isAlive()) {
                throw new IllegalStateException("writer " + prefix + " has stopped");
              }
              return ackedStartedAfter(nanos) >= count;
            });
  }

  /** Stops after the write in flight and returns every write. */
  List<Write> stop() {
    stopping = true;
    try {
      thread.join(requestTimeout.plus(ClientCalls.COMPLETION_MARGIN).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException("writer " + prefix + " did not stop");
    }
    return writes();
  }

  @Override
  public void close() {
    stopping = true;
  }

  private void run() {
    for (int seq = 1; seq <= MAX_WRITES && !stopping; seq++) {
      String key = String.format("%s-%06d", prefix, seq);
      String value = "v" + seq;
      long start = System.nanoTime();
      Write write;
      try {
        PutResult put = ClientCalls.value(client.put(key, value), requestTimeout);
        write =
            new Write(key, value, start, System.nanoTime(), Outcome.ACKED, put.revision(), null);
      } catch (RuntimeException | AssertionError e) {
        write = new Write(key, value, start, System.nanoTime(), classify(e), 0, e);
      }
      synchronized (this) {
        writes.add(write);
      }
      if (write.outcome() != Outcome.ACKED) {
        pauseAfterFailure();
      }
    }
  }

  private static Outcome classify(Throwable failure) {
    if (failure instanceof OutcomeUnknownException) {
      return Outcome.OUTCOME_UNKNOWN;
    }
    if (failure instanceof UnavailableException) {
      return Outcome.UNAVAILABLE;
    }
    return Outcome.OTHER;
  }

  private void pauseAfterFailure() {
    try {
      Thread.sleep(PAUSE_AFTER_FAILURE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }

  /**
   * Acknowledged writes are stored as acknowledged, unavailable ones not at all, unknown ones at
   * most once; nothing else was written.
   */
  static void assertStoredAsAnswered(KvCluster cluster, String prefix, List<Write> writes) {
    try (BallotClient client = clientOfAll(cluster)) {
      Map<String, KeyValue> stored =
          value(client.range(RangeOptions.builder(prefix).prefix().build())).kvs().stream()
              .collect(Collectors.toMap(KeyValue::keyString, Function.identity()));
      assertThat(writes)
          .filteredOn(w -> w.outcome() == Outcome.ACKED)
          .allSatisfy(
              w ->
                  assertThat(stored.get(w.key()))
                      .as("acknowledged write %s", w.key())
                      .isEqualTo(kv(w.key(), w.value(), w.revision(), w.revision(), 1)));
      Set<String> unavailable =
          writes.stream()
              .filter(w -> w.outcome() == Outcome.UNAVAILABLE)
              .map(Write::key)
              .collect(Collectors.toSet());
      assertThat(stored.keySet())
          .as("writes that failed with UnavailableException were not written")
          .filteredOn(unavailable::contains)
          .isEmpty();
      assertThat(stored.values())
          .as("every write applied at most once")
          .allSatisfy(kv -> assertThat(kv.version()).isEqualTo(1));
      assertThat(stored.keySet())
          .as("nothing but the writes that were made")
          .isSubsetOf(writes.stream().map(Write::key).toList());
    }
  }
}
