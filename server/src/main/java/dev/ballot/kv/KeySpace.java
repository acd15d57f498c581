package dev.ballot.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.storage.StorageCorruptionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * A readable view of the keys in kv_data: the committed state (optionally at a RocksDB snapshot) or
 * that state with a transaction's own writes on top. Stored values are {@link KeyValue}s without
 * their key, which is the RocksDB key.
 */
abstract class KeySpace {
  /** Receives the keys of a scan in order; returns false to stop it. */
  @FunctionalInterface
  interface Visitor {
    boolean visit(byte[] key, RocksIterator position);
  }

  /** The key's current record, or null if it does not exist. */
  final KeyValue get(ByteString key) {
    byte[] rawKey = key.toByteArray();
    byte[] value;
    try {
      value = read(rawKey);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("kv read failed", e));
    }
    return value == null ? null : decode(rawKey, value);
  }

  /** Visits every key of {@code [from, to)} in order; {@code to} null means no upper bound. */
  final void scan(byte[] from, byte[] to, Visitor visitor) {
    try (RocksIterator it = newIterator()) {
      for (it.seek(from); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (to != null && KeyRanges.compare(key, to) >= 0) {
          break;
        }
        if (!visitor.visit(key, it)) {
          break;
        }
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        throw new UncheckedIOException(new IOException("kv scan failed", e));
      }
    }
  }

  abstract byte[] read(byte[] key) throws RocksDBException;

  abstract RocksIterator newIterator();

  static KeyValue decode(byte[] key, byte[] value) {
    try {
      return KeyValue.newBuilder().setKey(ByteString.copyFrom(key)).mergeFrom(value).build();
    } catch (InvalidProtocolBufferException e) {
      throw new StorageCorruptionException(
          "kv_data value of key " + ByteString.copyFrom(key) + " is corrupt", e);
    }
  }

  /** The stored form of {@code kv}: the record without its key. */
  static byte[] encode(KeyValue kv) {
    if (!kv.getKey().isEmpty()) {
      throw new IllegalArgumentException("stored records carry no key, got " + kv.getKey());
    }
    return kv.toByteArray();
  }
}
