package dev.ballot.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.storage.StorageCorruptionException;

/**
 * The user's keys as a view sees them ({@link KvSpace#DATA}): the committed state, at a point in
 * time or live, or that state with a transaction's own writes on top. Stored values are {@link
 * KeyValue}s without their key, which is the stored key.
 */
final class KeySpace {
  private final KvView view;

  KeySpace(KvView view) {
    this.view = view;
  }

  /** The key's current record, or null if it does not exist. */
  KeyValue get(ByteString key) {
    byte[] rawKey = key.toByteArray();
    byte[] value = view.get(KvSpace.DATA, rawKey);
    return value == null ? null : decode(rawKey, value);
  }

  /** Visits every key of {@code [from, to)} in order; {@code to} null means no upper bound. */
  void scan(byte[] from, byte[] to, KvView.Visitor visitor) {
    view.scan(KvSpace.DATA, from, to, visitor);
  }

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
