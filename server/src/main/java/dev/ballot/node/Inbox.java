package dev.ballot.node;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded queue that many threads offer to and one loop drains, without a lock: network threads
 * handing in requests never wait for each other or for the loop.
 *
 * @param <T> what it holds
 */
final class Inbox<T> {
  private final Queue<T> items = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final int capacity;

  Inbox(int capacity) {
    this.capacity = capacity;
  }

  /** Adds {@code item} unless the inbox holds {@code capacity} items already. */
  boolean offer(T item) {
    if (size.incrementAndGet() > capacity) {
      size.decrementAndGet();
      return false;
    }
    items.add(item);
    return true;
  }

  /** Moves up to {@code max} items, oldest first, into {@code into}. */
  void drainTo(List<? super T> into, int max) {
    for (int n = 0; n < max; n++) {
      T item = items.poll();
      if (item == null) {
        return;
      }
      size.decrementAndGet();
      into.add(item);
    }
  }

  boolean isEmpty() {
    return items.isEmpty();
  }
}
