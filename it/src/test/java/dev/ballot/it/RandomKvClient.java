package dev.ballot.it;

import dev.ballot.client.BallotClient;
import dev.ballot.client.BallotException;
import dev.ballot.client.CasResult;
import dev.ballot.client.KeyValue;
import dev.ballot.client.OutcomeUnknownException;
import dev.ballot.linearizability.KvOp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * One client of {@link LinearizabilityTest}: a thread doing random linearizable gets, puts and
 * compare-and-swaps on a few keys, one at a time, through a {@link BallotClient} that knows only
 * one node (so it never moves a write to another node), and recording each as a {@link KvOp} with
 * the run clock before the call and after the answer. Every write has a value of its own ({@code
 * c<id>-<seq>}); a compare-and-swap expects the value this client last saw for the key.
 *
 * <p>How a write ended is what the client library says: acknowledged, {@link
 * OutcomeUnknownException} (unknown: it may apply later or never), any other {@link
 * BallotException} (a definite refusal or a request that never left: not applied), anything else
 * (unknown). A get that fails is recorded unknown: it constrains nothing.
 */
final class RandomKvClient implements AutoCloseable {
  private static final int GET_PERCENT = 40;
  private static final int PUT_PERCENT = 30;

  private final int id;
  private final BallotClient client;
  private final Duration requestTimeout;
  private final RunClock clock;
  private final List<String> keys;
  private final Random random;
  private final Thread thread;
  private final List<KvOp> ops = new ArrayList<>();
  private final Map<String, String> lastSeen = new HashMap<>();
  private final Map<String, Integer> failureReasons = new HashMap<>();
  private volatile boolean stopping;
  private volatile long lastAckedWriteInvokedMicros = Long.MIN_VALUE;
  private int seq;

  private RandomKvClient(
      int id,
      BallotClient client,
      Duration requestTimeout,
      RunClock clock,
      List<String> keys,
      long seed) {
    this.id = id;
    this.clock = clock;
    this.client = client;
    this.requestTimeout = requestTimeout;
    this.keys = List.copyOf(keys);
    this.random = new Random(seed);
    this.thread = new Thread(this::run, "random-kv-client-" + id);
    this.thread.setDaemon(true);
  }

  /** Starts client {@code id} on node {@code node} of {@code cluster}. */
  static RandomKvClient start(
      int id,
      KvCluster cluster,
      int node,
      Duration requestTimeout,
      RunClock clock,
      List<String> keys,
      long seed) {
    BallotClient client = ClientCalls.client(cluster, requestTimeout, node);
    RandomKvClient c = new RandomKvClient(id, client, requestTimeout, clock, keys, seed);
    c.thread.start();
    return c;
  }

  /** When the last write this client saw acknowledged was invoked, on the run clock. */
  long lastAckedWriteInvokedMicros() {
    return lastAckedWriteInvokedMicros;
  }

  synchronized List<KvOp> ops() {
    return List.copyOf(ops);
  }

  /** How many ops failed for each reason: outcome, exception and the first line of its message. */
  synchronized Map<String, Integer> failureReasons() {
    return Map.copyOf(failureReasons);
  }

  /** Stops after the op in flight (bounded by its deadline) and returns every op. */
  List<KvOp> stop() {
    stopping = true;
    try {
      thread.join(requestTimeout.plus(ClientCalls.COMPLETION_MARGIN).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException("client " + id + " did not stop");
    }
    client.close();
    return ops();
  }

  @Override
  public void close() {
    stopping = true;
    client.close();
  }

  private void run() {
    while (!stopping) {
      String key = keys.get(random.nextInt(keys.size()));
      int roll = random.nextInt(100);
      KvOp op;
      if (roll < GET_PERCENT) {
        op = get(key);
      } else if (roll < GET_PERCENT + PUT_PERCENT || !lastSeen.containsKey(key)) {
        op = put(key, nextValue());
      } else {
        op = compareAndSwap(key, lastSeen.get(key), nextValue());
      }
      synchronized (this) {
        ops.add(op);
      }
      if (op.kind() != KvOp.Kind.GET && op.outcome() == KvOp.Outcome.OK) {
        lastAckedWriteInvokedMicros = op.invokedAt();
      }
    }
  }

  private String nextValue() {
    return "c" + id + "-" + (++seq);
  }

  private KvOp get(String key) {
    long invoked = clock.invokedMicros();
    try {
      Optional<KeyValue> found = ClientCalls.value(client.get(key), requestTimeout);
      String value = found.map(RandomKvClient::value).orElse(null);
      remember(key, value);
      return KvOp.get(id, key, value, invoked, clock.completedMicros());
    } catch (RuntimeException | AssertionError e) {
      return noteFailure(KvOp.get(id, key, null, invoked, invoked).unknown(), e);
    }
  }

  private KvOp put(String key, String value) {
    long invoked = clock.invokedMicros();
    try {
      ClientCalls.value(client.put(key, value), requestTimeout);
      remember(key, value);
      return KvOp.put(id, key, value, invoked, clock.completedMicros());
    } catch (RuntimeException | AssertionError e) {
      return failed(KvOp.put(id, key, value, invoked, invoked), e);
    }
  }

  private KvOp compareAndSwap(String key, String expected, String value) {
    long invoked = clock.invokedMicros();
    try {
      CasResult cas =
          ClientCalls.value(client.compareAndSwap(key, expected, value), requestTimeout);
      long completed = clock.completedMicros();
      if (cas.succeeded()) {
        remember(key, value);
        return KvOp.cas(id, key, expected, value, invoked, completed);
      }
      String found = cas.current().map(RandomKvClient::value).orElse(null);
      remember(key, found);
      return KvOp.casMismatch(id, key, expected, value, found, invoked, completed);
    } catch (RuntimeException | AssertionError e) {
      return failed(KvOp.cas(id, key, expected, value, invoked, invoked), e);
    }
  }

  /** A write that did not succeed: failed if the client says so for sure, else unknown. */
  private KvOp failed(KvOp write, Throwable failure) {
    boolean definite =
        failure instanceof BallotException && !(failure instanceof OutcomeUnknownException);
    return noteFailure(definite ? write.failed(clock.completedMicros()) : write.unknown(), failure);
  }

  private KvOp noteFailure(KvOp op, Throwable failure) {
    String message = String.valueOf(failure.getMessage()).strip();
    int newline = message.indexOf('\n');
    String reason =
        op.kind()
            + " "
            + op.outcome()
            + ": "
            + failure.getClass().getSimpleName()
            + ": "
            + (newline < 0 ? message : message.substring(0, newline));
    synchronized (this) {
      failureReasons.merge(reason, 1, Integer::sum);
    }
    return op;
  }

  private void remember(String key, String value) {
    if (value == null) {
      lastSeen.remove(key);
    } else {
      lastSeen.put(key, value);
    }
  }

  private static String value(KeyValue kv) {
    return new String(kv.value(), StandardCharsets.UTF_8);
  }
}
