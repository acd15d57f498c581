package dev.ballot.bench;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/** The fixed set of keys a run writes and reads: bench/00000 ... bench/NNNNN. */
public final class KeySpace {
  static final String PREFIX = "bench/";

  private final ByteString[] keys;

  public KeySpace(int size) {
    keys = new ByteString[size];
    int width = Integer.toString(size - 1).length();
    for (int i = 0; i < size; i++) {
      keys[i] = ByteString.copyFrom(PREFIX + zeroPadded(i, width), StandardCharsets.UTF_8);
    }
  }

  public int size() {
    return keys.length;
  }

  public ByteString key(int index) {
    return keys[index];
  }

  /** The first key of the prefix, for a range over all keys. */
  public static ByteString prefix() {
    return ByteString.copyFromUtf8(PREFIX);
  }

  /** The end of the range of all keys with the prefix (the prefix with its last byte + 1). */
  public static ByteString prefixEnd() {
    byte[] end = PREFIX.getBytes(StandardCharsets.UTF_8);
    end[end.length - 1]++;
    return ByteString.copyFrom(end);
  }

  private static String zeroPadded(int value, int width) {
    String digits = Integer.toString(value);
    return "0".repeat(width - digits.length()) + digits;
  }
}
