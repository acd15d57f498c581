package dev.ballot.raft;

/**
 * A bounded window of AppendEntries in flight to one follower, remembered by the last index each
 * carried. A ring buffer: adding to a full window is a bug of the caller.
 */
final class Inflights {
  private final long[] lastIndexes;
  private int start;
  private int count;

  Inflights(int capacity) {
    lastIndexes = new long[capacity];
  }

  boolean full() {
    return count == lastIndexes.length;
  }

  int count() {
    return count;
  }

  void add(long lastIndex) {
    if (full()) {
      throw new IllegalStateException("inflight window of " + lastIndexes.length + " is full");
    }
    lastIndexes[(start + count) % lastIndexes.length] = lastIndex;
    count++;
  }

  /** Frees every message whose entries are all acknowledged by a match at {@code index}. */
  void freeTo(long index) {
    while (count > 0 && lastIndexes[start] <= index) {
      start = (start + 1) % lastIndexes.length;
      count--;
    }
  }

  void freeFirst() {
    if (count > 0) {
      start = (start + 1) % lastIndexes.length;
      count--;
    }
  }

  void reset() {
    start = 0;
    count = 0;
  }
}
