package dev.ballot.client;

import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An atomic increment of a counter key by a compare-and-swap loop on the key's mod revision: read
 * the value (a missing key counts as 0), then write value + delta in a transaction guarded by the
 * mod revision read; when another writer came first, the transaction's else branch returns the key
 * as it is now and the loop tries again from there. Increments are never lost: a write only lands
 * on the value it was computed from.
 */
final class CounterIncrement {
  /** Bounds the loop under contention; each failed attempt means another writer succeeded. */
  static final int MAX_ATTEMPTS = 1000;

  private final BallotClient client;
  private final byte[] key;
  private final long delta;

  private CounterIncrement(BallotClient client, byte[] key, long delta) {
    this.client = client;
    this.key = key.clone();
    this.delta = delta;
  }

  static CompletableFuture<IncrementResult> start(BallotClient client, byte[] key, long delta) {
    CounterIncrement increment = new CounterIncrement(client, key, delta);
    return client.get(key).thenCompose(current -> increment.attempt(current, 1));
  }

  private CompletableFuture<IncrementResult> attempt(Optional<KeyValue> current, int attempt) {
    long next;
    try {
      next = next(current);
    } catch (NotACounterException e) {
      return CompletableFuture.failedFuture(e);
    }
    long modRevision = current.map(KeyValue::modRevision).orElse(0L);
    return client
        .txn()
        .ifModRevision(key, CompareOp.EQUAL, modRevision)
        .then(Op.put(key, Long.toString(next).getBytes(StandardCharsets.US_ASCII)))
        .otherwise(Op.get(key))
        .commit()
        .thenCompose(
            txn -> {
              if (txn.succeeded()) {
                return CompletableFuture.completedFuture(
                    new IncrementResult(next, txn.revision(), attempt));
              }
              if (attempt >= MAX_ATTEMPTS) {
                return CompletableFuture.failedFuture(
                    new BallotException(
                        "increment of "
                            + Bytes.printable(key)
                            + " gave up after "
                            + attempt
                            + " attempts: other writers changed the key every time",
                        Status.Code.ABORTED,
                        null,
                        null,
                        null));
              }
              return attempt(found(txn), attempt + 1);
            });
  }

  private long next(Optional<KeyValue> current) {
    if (current.isEmpty()) {
      return delta;
    }
    byte[] value = current.get().value();
    long number;
    try {
      number = Long.parseLong(new String(value, StandardCharsets.UTF_8));
    } catch (NumberFormatException e) {
      throw new NotACounterException(
          "the value of "
              + Bytes.printable(key)
              + " is not a decimal integer: "
              + Bytes.printable(value));
    }
    try {
      return Math.addExact(number, delta);
    } catch (ArithmeticException e) {
      throw new NotACounterException(
          "incrementing " + Bytes.printable(key) + " (" + number + ") by " + delta + " overflows");
    }
  }

  private static Optional<KeyValue> found(TxnResult txn) {
    if (txn.responses().size() != 1 || !(txn.responses().get(0) instanceof OpResult.Range range)) {
      throw new IllegalStateException(
          "a failed increment transaction must answer with one range, got " + txn.responses());
    }
    return range.result().kvs().stream().findFirst();
  }
}
