package dev.ballot.client;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Byte-array helpers shared by the value types: copies, UTF-8, and etcd's key-range ends. */
final class Bytes {
  static final byte[] EMPTY = new byte[0];

  /** etcd's range_end "\0": every key greater than or equal to the start key. */
  private static final byte[] ALL_FROM_KEY = {0};

  private Bytes() {}

  static byte[] utf8(String text) {
    if (text == null) {
      throw new NullPointerException("key or value is null");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static byte[] copy(byte[] bytes) {
    if (bytes == null) {
      throw new NullPointerException("key or value is null");
    }
    return bytes.clone();
  }

  static ByteString wrap(byte[] bytes) {
    return ByteString.copyFrom(bytes);
  }

  /**
   * The smallest key greater than every key that starts with {@code prefix}, as etcd computes it:
   * the prefix with its last byte below 0xff incremented and the rest dropped; "\0" (no upper
   * bound) when there is no such byte.
   */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xff) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return ALL_FROM_KEY.clone();
  }

  /** etcd's range_end for "from this key on". */
  static byte[] fromKeyEnd() {
    return ALL_FROM_KEY.clone();
  }

  /** etcd reads an empty start key with a range end as "\0": the lowest key. */
  static byte[] rangeStart(byte[] key) {
    return key.length == 0 ? ALL_FROM_KEY.clone() : key;
  }

  /** Text for toString(): UTF-8 when it round-trips and has no control characters, else hex. */
  static String printable(byte[] bytes) {
    String text = utf8(bytes);
    if (Arrays.equals(utf8(text), bytes) && text.chars().noneMatch(Character::isISOControl)) {
      return '"' + text + '"';
    }
    StringBuilder hex = new StringBuilder("0x");
    for (byte b : bytes) {
      hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return hex.toString();
  }
}
