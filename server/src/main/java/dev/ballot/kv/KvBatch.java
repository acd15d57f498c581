package dev.ballot.kv;

/**
 * Puts and deletes that {@link KvEngine#write} writes at once, all or nothing. Until then they are
 * visible only through {@link #over}. Single-threaded; close it when done. A batch may keep the
 * arrays it is given until it is closed: callers do not change them afterwards.
 */
public interface KvBatch extends AutoCloseable {
  void put(KvSpace space, byte[] key, byte[] value);

  void delete(KvSpace space, byte[] key);

  /** How many puts and deletes were added so far. */
  int writes();

  /**
   * {@code base} with this batch's writes on top, the later write of a key winning. Follows the
   * batch: writes added later are visible too. {@code base} must come from the same engine and stay
   * open while the result is used.
   */
  KvView over(KvView base);

  @Override
  void close();
}
