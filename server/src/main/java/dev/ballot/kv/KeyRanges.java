package dev.ballot.kv;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.Comparator;

/**
 * etcd's conventions for a key range {@code [key, range_end)}: an empty end means the key alone,
 * the end {@code "\0"} means every key from {@code key} on, anything else is an exclusive end. Keys
 * order bytewise, unsigned, as in etcd.
 */
public final class KeyRanges {
  static final Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();
  private static final ByteString FROM_KEY = ByteString.copyFrom(new byte[] {0});

  private KeyRanges() {}

  static boolean isSingleKey(ByteString rangeEnd) {
    return rangeEnd.isEmpty();
  }

  static boolean isFromKey(ByteString rangeEnd) {
    return rangeEnd.equals(FROM_KEY);
  }

  /** A range end that is neither single-key nor from-key and does not lie after the key. */
  static boolean isInverted(ByteString key, ByteString rangeEnd) {
    return !isSingleKey(rangeEnd) && !isFromKey(rangeEnd) && ORDER.compare(rangeEnd, key) <= 0;
  }

  /** The exclusive upper bound of a multi-key range, or null if it has none (from-key). */
  static byte[] upperBound(ByteString rangeEnd) {
    return isFromKey(rangeEnd) ? null : rangeEnd.toByteArray();
  }

  /** etcd's GetPrefixRangeEnd: the first key after every key that starts with {@code prefix}. */
  public static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return FROM_KEY; // all 0xff: to the end of the key space
  }

  static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }
}
