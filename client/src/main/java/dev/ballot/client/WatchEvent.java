package dev.ballot.client;

import java.util.Optional;

/**
 * One change seen by a watch.
 *
 * @param type a put or a delete
 * @param kv for a put, the key-value after it; for a delete, the key with {@code modRevision} the
 *     deleting revision and no value
 * @param prevKv the key-value before the change, when the watch asked for it and the key existed
 */
public record WatchEvent(Type type, KeyValue kv, Optional<KeyValue> prevKv) {

  /** What happened to the key. */
  public enum Type {
    /** The key was written. */
    PUT,
    /** The key was deleted. */
    DELETE
  }

  /**
   * The revision of the change: the write that made it.
   *
   * @return the revision
   */
  public long revision() {
    return kv.modRevision();
  }
}
