package dev.ballot.kv;

import dev.ballot.etcd.mvcc.KeyValue;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The hash behind {@code Maintenance.HashKV}: CRC32C (Castagnoli, the polynomial of etcd's hash) of
 * every key's record, fed in key order. Each record contributes its key and value, each prefixed
 * with its length so that no two different stores feed the same bytes, then create revision, mod
 * revision, version and lease as big-endian 64-bit numbers. The decoded fields are hashed, not the
 * stored bytes, so the hash depends only on the data, not on how a protobuf encoder laid it out.
 */
final class KvHasher {
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer fixed = ByteBuffer.allocate(4 * Long.BYTES);
  private final ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);

  /** Adds one record; records must come in ascending key order. */
  void add(KeyValue kv) {
    addLengthPrefixed(kv.getKey().asReadOnlyByteBuffer());
    addLengthPrefixed(kv.getValue().asReadOnlyByteBuffer());
    fixed.clear();
    fixed
        .putLong(kv.getCreateRevision())
        .putLong(kv.getModRevision())
        .putLong(kv.getVersion())
        .putLong(kv.getLease())
        .flip();
    crc.update(fixed);
  }

  /** The hash of the records added so far; 0 for none. */
  int value() {
    return (int) crc.getValue();
  }

  private void addLengthPrefixed(ByteBuffer bytes) {
    length.clear();
    length.putInt(bytes.remaining()).flip();
    crc.update(length);
    crc.update(bytes);
  }
}
