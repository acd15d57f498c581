package dev.ballot.linearizability;

/**
 * One client operation on one key of a key-value store, as the client saw it: a get, a put, a
 * delete, or a compare-and-swap on the value (etcd's txn comparing the value, then a put). Values
 * are strings; a get of an absent key observes null.
 *
 * @param client who did it, for reports
 * @param kind get, put or compare-and-swap
 * @param expected for a compare-and-swap: the value it compared with; else null
 * @param value for a put or a compare-and-swap: the value it writes; else null
 * @param outcome how it ended
 * @param observed for a get that ended OK, and a compare-and-swap that ended MISMATCH: the value it
 *     found (null: the key was absent); else null
 * @param invokedAt when the client invoked it
 * @param completedAt when the client saw it complete; {@link Operation#NEVER} for UNKNOWN
 */
public record KvOp(
    int client,
    String key,
    Kind kind,
    String expected,
    String value,
    Outcome outcome,
    String observed,
    long invokedAt,
    long completedAt) {

  /** The operations. */
  public enum Kind {
    GET,
    PUT,
    DELETE,
    CAS
  }

  /** How an operation ended. */
  public enum Outcome {
    /**
     * It took effect: the get read {@code observed}, the put wrote, the compare-and-swap swapped.
     */
    OK,
    /** A compare-and-swap whose comparison failed: a read that found {@code observed}. */
    MISMATCH,
    /** A definite failure: it did not take effect (the server refused it, or it was never sent). */
    FAILED,
    /** No definite answer: a write may take effect at any time after its invocation, or never. */
    UNKNOWN
  }

  public KvOp {
    if (key == null || kind == null || outcome == null) {
      throw new IllegalArgumentException("key, kind and outcome are required");
    }
    if ((kind == Kind.CAS) != (expected != null)) {
      throw new IllegalArgumentException("expected is for a compare-and-swap only: " + kind);
    }
    if ((kind == Kind.GET || kind == Kind.DELETE) == (value != null)) {
      throw new IllegalArgumentException(
          "a put or compare-and-swap writes a value, a get or a delete none");
    }
    if (outcome == Outcome.MISMATCH && kind != Kind.CAS) {
      throw new IllegalArgumentException("only a compare-and-swap can mismatch");
    }
    if ((outcome == Outcome.UNKNOWN) != (completedAt == Operation.NEVER)) {
      throw new IllegalArgumentException(
          "an op never completes exactly when its outcome is unknown: " + outcome);
    }
  }

  public static KvOp get(int client, String key, String observed, long invokedAt, long doneAt) {
    return new KvOp(client, key, Kind.GET, null, null, Outcome.OK, observed, invokedAt, doneAt);
  }

  public static KvOp put(int client, String key, String value, long invokedAt, long doneAt) {
    return new KvOp(client, key, Kind.PUT, null, value, Outcome.OK, null, invokedAt, doneAt);
  }

  public static KvOp delete(int client, String key, long invokedAt, long doneAt) {
    return new KvOp(client, key, Kind.DELETE, null, null, Outcome.OK, null, invokedAt, doneAt);
  }

  /** A compare-and-swap that swapped. */
  public static KvOp cas(
      int client, String key, String expected, String value, long invokedAt, long doneAt) {
    return new KvOp(client, key, Kind.CAS, expected, value, Outcome.OK, null, invokedAt, doneAt);
  }

  /** A compare-and-swap whose comparison failed, having found {@code observed}. */
  public static KvOp casMismatch(
      int client,
      String key,
      String expected,
      String value,
      String observed,
      long invokedAt,
      long doneAt) {
    return new KvOp(
        client, key, Kind.CAS, expected, value, Outcome.MISMATCH, observed, invokedAt, doneAt);
  }

  /** The same op with an unknown outcome: it never completed. */
  public KvOp unknown() {
    return new KvOp(
        client, key, kind, expected, value, Outcome.UNKNOWN, null, invokedAt, Operation.NEVER);
  }

  /** The same op, taken effect at {@code doneAt}. */
  public KvOp ok(long doneAt) {
    return new KvOp(client, key, kind, expected, value, Outcome.OK, null, invokedAt, doneAt);
  }

  /** The same op, definitely failed at {@code doneAt}. */
  public KvOp failed(long doneAt) {
    return new KvOp(client, key, kind, expected, value, Outcome.FAILED, null, invokedAt, doneAt);
  }

  /**
   * Whether it reports what the key held: a get that ended OK, or a mismatched compare-and-swap.
   */
  public boolean observes() {
    return (kind == Kind.GET && outcome == Outcome.OK) || outcome == Outcome.MISMATCH;
  }

  @Override
  public String toString() {
    String call =
        switch (kind) {
          case GET -> "get(" + key + ")";
          case PUT -> "put(" + key + ", " + value + ")";
          case DELETE -> "delete(" + key + ")";
          case CAS -> "cas(" + key + ", " + expected + " -> " + value + ")";
        };
    String result =
        switch (outcome) {
          case OK -> kind == Kind.GET ? " = " + observed : " ok";
          case MISMATCH -> " mismatch, found " + observed;
          case FAILED -> " failed";
          case UNKNOWN -> " unknown";
        };
    return "c" + client + " " + call + result;
  }
}
