package dev.ballot.kv;

/**
 * What one request may hold in memory of keys and values it reads or deletes: a range, the previous
 * values a delete returns, every op of a txn together. Without it one request over a large key
 * space would build a response bigger than the heap, and a delete committed to the log would fail
 * the same way on every replay. The bound is a constant, so every node rejects the same commands (a
 * configured bound could differ between nodes).
 */
final class ResponseBytes {
  /** 32 MiB: eight times gRPC's default message limit for clients. */
  static final long MAX_RESPONSE_BYTES = 32L << 20;

  private long used;

  /** Counts {@code bytes}; false once the bound is passed (the caller stops and rejects). */
  boolean tryAdd(long bytes) {
    used += bytes;
    return used <= MAX_RESPONSE_BYTES;
  }

  /** Counts {@code bytes}, rejecting the request once the bound is passed. */
  void add(long bytes) throws KvException {
    if (!tryAdd(bytes)) {
      throw tooLarge();
    }
  }

  static KvException tooLarge() {
    return new KvException(KvError.RESPONSE_TOO_LARGE);
  }
}
