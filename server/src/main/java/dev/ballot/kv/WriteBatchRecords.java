package dev.ballot.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * RocksDB's serialized write batch, made in Java: what {@code org.rocksdb.WriteBatch(byte[])}
 * takes, so that a batch crosses into the native library once instead of once per put. The format
 * is RocksDB's {@code WriteBatch::rep_} (db/write_batch.cc), the one its write-ahead log stores: a
 * fixed64 sequence number (0: the write assigns it), a fixed32 count of records, then per record a
 * type byte, the column family id as a varint32 unless it is the default family's 0, and the key
 * and value, each as a varint32 length and its bytes (a delete has no value). Little-endian.
 */
final class WriteBatchRecords {
  /** dbformat.h: kTypeDeletion, kTypeValue, kTypeColumnFamilyDeletion, kTypeColumnFamilyValue. */
  private static final byte DELETION = 0x0;

  private static final byte VALUE = 0x1;
  private static final byte FAMILY_DELETION = 0x4;
  private static final byte FAMILY_VALUE = 0x5;

  /** The sequence number and the count. */
  private static final int HEADER_BYTES = 12;

  private WriteBatchRecords() {}

  /**
   * One put, or a delete if {@code value} is null, of a key in the family with id {@code family}.
   */
  record Record(int family, byte[] key, byte[] value) {}

  static byte[] encode(List<Record> records) {
    long size = HEADER_BYTES;
    for (Record r : records) {
      size += 1 + (r.family() == 0 ? 0 : varintSize(r.family()));
      size += varintSize(r.key().length) + r.key().length;
      if (r.value() != null) {
        size += varintSize(r.value().length) + r.value().length;
      }
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a write batch of " + size + " bytes");
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(0).putInt(records.size());
    for (Record r : records) {
      boolean delete = r.value() == null;
      if (r.family() == 0) {
        out.put(delete ? DELETION : VALUE);
      } else {
        out.put(delete ? FAMILY_DELETION : FAMILY_VALUE);
        putVarint(out, r.family());
      }
      putVarint(out, r.key().length);
      out.put(r.key());
      if (!delete) {
        putVarint(out, r.value().length);
        out.put(r.value());
      }
    }
    return out.array();
  }

  private static int varintSize(int value) {
    int size = 1;
    for (int v = value >>> 7; v != 0; v >>>= 7) {
      size++;
    }
    return size;
  }

  private static void putVarint(ByteBuffer out, int value) {
    int v = value;
    while ((v & ~0x7f) != 0) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }
}
