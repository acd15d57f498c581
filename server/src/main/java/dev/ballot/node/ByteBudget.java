package dev.ballot.node;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes a queue may hold: counts are not enough when one item can be 1.5 MiB. Thread-safe;
 * items are taken on any thread and given back on the one that consumes them.
 */
final class ByteBudget {
  private final String name;
  private final long maxBytes;
  private final AtomicLong usedBytes = new AtomicLong();

  ByteBudget(String name, long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException(name + ": maxBytes must be positive, got " + maxBytes);
    }
    this.name = name;
    this.maxBytes = maxBytes;
  }

  /**
   * Takes {@code bytes} if they fit. An empty budget takes any one item, however large, so that an
   * item bigger than the budget is slow, never refused forever.
   */
  boolean tryTake(long bytes) {
    while (true) {
      long used = usedBytes.get();
      if (used > 0 && used + bytes > maxBytes) {
        return false;
      }
      if (usedBytes.compareAndSet(used, used + bytes)) {
        return true;
      }
    }
  }

  /** Takes {@code bytes} whether they fit or not (work already accepted elsewhere). */
  void take(long bytes) {
    usedBytes.addAndGet(bytes);
  }

  void giveBack(long bytes) {
    long left = usedBytes.addAndGet(-bytes);
    if (left < 0) {
      throw new IllegalStateException(
          name + ": gave back " + bytes + " bytes, more than were taken (now " + left + ")");
    }
  }

  /** Whether the budget is spent: new work should wait or be refused. */
  boolean isFull() {
    return usedBytes.get() >= maxBytes;
  }

  long usedBytes() {
    return usedBytes.get();
  }
}
