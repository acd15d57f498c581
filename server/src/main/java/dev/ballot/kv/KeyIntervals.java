package dev.ballot.kv;

import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of keys kept as disjoint, sorted intervals {@code [start, end)}; an empty end means no
 * upper bound. Used to find a put that overlaps a delete in one txn.
 */
final class KeyIntervals {
  private static final ByteString UNBOUNDED = ByteString.EMPTY;
  private static final ByteString ZERO_BYTE = ByteString.copyFrom(new byte[] {0});

  private final TreeMap<ByteString, ByteString> endByStart = new TreeMap<>(KeyRanges.ORDER);

  /** Adds the keys of an etcd range: the key alone, from the key on, or up to the range end. */
  void addRange(ByteString key, ByteString rangeEnd) {
    if (KeyRanges.isSingleKey(rangeEnd)) {
      add(key, key.concat(ZERO_BYTE)); // the least key after `key`
    } else if (KeyRanges.isFromKey(rangeEnd)) {
      add(key, UNBOUNDED);
    } else if (KeyRanges.ORDER.compare(key, rangeEnd) < 0) {
      add(key, rangeEnd);
    }
  }

  void addAll(KeyIntervals other) {
    other.endByStart.forEach(this::add);
  }

  boolean contains(ByteString key) {
    Map.Entry<ByteString, ByteString> floor = endByStart.floorEntry(key);
    return floor != null && compareEnds(key, floor.getValue()) < 0;
  }

  private void add(ByteString start, ByteString end) {
    Map.Entry<ByteString, ByteString> lower = endByStart.floorEntry(start);
    if (lower != null && compareEnds(start, lower.getValue()) <= 0) {
      start = lower.getKey();
      end = later(end, lower.getValue());
    }
    // Absorb every interval that starts inside [start, end].
    Map.Entry<ByteString, ByteString> next = endByStart.ceilingEntry(start);
    while (next != null && compareEnds(next.getKey(), end) <= 0) {
      end = later(end, next.getValue());
      endByStart.remove(next.getKey());
      next = endByStart.higherEntry(next.getKey());
    }
    endByStart.put(start, end);
  }

  /** Compares a key, or an end, with an end; the unbounded end lies after everything. */
  private static int compareEnds(ByteString a, ByteString end) {
    if (end.equals(UNBOUNDED)) {
      return a.equals(UNBOUNDED) ? 0 : -1;
    }
    if (a.equals(UNBOUNDED)) {
      return 1;
    }
    return KeyRanges.ORDER.compare(a, end);
  }

  private static ByteString later(ByteString a, ByteString b) {
    return compareEnds(a, b) >= 0 ? a : b;
  }
}
