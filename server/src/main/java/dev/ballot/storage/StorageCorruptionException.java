package dev.ballot.storage;

/** Stored Raft state is damaged. The node must not start on it: serving it could lose data. */
public final class StorageCorruptionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageCorruptionException(String message) {
    super(message);
  }

  public StorageCorruptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
