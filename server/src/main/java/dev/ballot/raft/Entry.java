package dev.ballot.raft;

import java.util.Arrays;
import java.util.Objects;

/** One entry of the replicated log. {@code data} is never mutated after construction. */
public record Entry(long term, long index, EntryType type, byte[] data) {
  private static final byte[] EMPTY = new byte[0];

  public Entry {
    if (term < 1 || index < 1) {
      throw new IllegalArgumentException(
          "entry needs term>=1 and index>=1: term=" + term + " index=" + index);
    }
    Objects.requireNonNull(type, "type");
    data = data == null ? EMPTY : data;
  }

  public static Entry noop(long term, long index) {
    return new Entry(term, index, EntryType.NOOP, EMPTY);
  }

  /** Bytes this entry counts for batching and back-pressure: its payload. */
  public int sizeBytes() {
    return data.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e
        && e.term == term
        && e.index == index
        && e.type == type
        && Arrays.equals(e.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(term, index, type, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "Entry[term="
        + term
        + ", index="
        + index
        + ", type="
        + type
        + ", bytes="
        + data.length
        + "]";
  }
}
