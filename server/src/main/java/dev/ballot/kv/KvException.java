package dev.ballot.kv;

import io.grpc.Status;

/**
 * A request the key-value store refuses, before proposing or when applying; nothing of it was
 * written. Expected in normal operation, so it carries no stack trace.
 */
public final class KvException extends Exception {
  private static final long serialVersionUID = 1L;

  private final KvError error;

  public KvException(KvError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public KvError error() {
    return error;
  }

  public Status toStatus() {
    return error.toStatus();
  }
}
