package dev.ballot.kv;

/**
 * A read of both key spaces: either one point in time ({@link KvEngine#snapshot}), the committed
 * state as each read finds it ({@link KvEngine#live}), or one of those with a batch's own writes on
 * top ({@link KvBatch#over}). Read failures throw {@link java.io.UncheckedIOException}.
 *
 * <p>One thread at a time; close it when done (a live view's close does nothing).
 */
public interface KvView extends AutoCloseable {
  /** The value of {@code key}, or null if it has none. */
  byte[] get(KvSpace space, byte[] key);

  /**
   * Visits the keys of {@code [from, to)} in ascending order until {@code visitor} returns false;
   * {@code to} null means no upper bound.
   */
  void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor);

  @Override
  void close();

  /** Receives the keys of a scan in order; returns false to stop it. */
  @FunctionalInterface
  interface Visitor {
    boolean visit(byte[] key, Position position);
  }

  /** Where a scan is. Valid only during the {@link Visitor#visit} call that received it. */
  interface Position {
    /** The value of the key being visited; read only when asked for. */
    byte[] value();
  }
}
