package dev.ballot.storage;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a log entry in the {@code raft_log} column family. Key: the index as 8 bytes
 * big-endian, so that RocksDB's byte order is log order. Value: {@code crc32c(4) | term(8) |
 * type(1) | data}, the checksum covering everything after it. The index lives only in the key.
 */
final class LogEntryCodec {
  static final int KEY_BYTES = Long.BYTES;
  private static final int CRC_BYTES = Integer.BYTES;
  private static final int HEADER_BYTES = CRC_BYTES + Long.BYTES + 1;

  private LogEntryCodec() {}

  static byte[] key(long index) {
    return ByteBuffer.allocate(KEY_BYTES).putLong(index).array();
  }

  /** The index a key names; callers check the key length first. */
  static long index(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  static byte[] encode(Entry entry) {
    byte[] data = entry.data();
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + data.length);
    buf.position(CRC_BYTES);
    buf.putLong(entry.term()).put(typeCode(entry.type())).put(data);
    buf.putInt(0, crc(buf.array()));
    return buf.array();
  }

  /** Decodes the value stored under {@code index}, checking length, checksum and fields. */
  static Entry decode(long index, byte[] value) {
    if (value.length < HEADER_BYTES) {
      throw corrupt(index, "value of " + value.length + " bytes is shorter than its header");
    }
    ByteBuffer buf = ByteBuffer.wrap(value);
    int storedCrc = buf.getInt();
    if (storedCrc != crc(value)) {
      throw corrupt(index, "checksum mismatch");
    }
    long term = buf.getLong();
    EntryType type = type(index, buf.get());
    byte[] data = new byte[buf.remaining()];
    buf.get(data);
    try {
      return new Entry(term, index, type, data);
    } catch (IllegalArgumentException e) {
      throw new StorageCorruptionException(
          "raft log entry " + index + " is corrupt: " + e.getMessage(), e);
    }
  }

  static StorageCorruptionException corrupt(long index, String why) {
    return new StorageCorruptionException("raft log entry " + index + " is corrupt: " + why);
  }

  private static int crc(byte[] value) {
    CRC32C crc = new CRC32C();
    crc.update(value, CRC_BYTES, value.length - CRC_BYTES);
    return (int) crc.getValue();
  }

  // Explicit codes rather than ordinals: reordering the enum must not change what is on disk.
  private static byte typeCode(EntryType type) {
    return switch (type) {
      case NORMAL -> 1;
      case NOOP -> 2;
      case CONFIG -> 3;
    };
  }

  private static EntryType type(long index, byte code) {
    return switch (code) {
      case 1 -> EntryType.NORMAL;
      case 2 -> EntryType.NOOP;
      case 3 -> EntryType.CONFIG;
      default -> throw corrupt(index, "unknown entry type " + code);
    };
  }
}
