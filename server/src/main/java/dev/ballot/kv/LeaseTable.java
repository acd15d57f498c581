package dev.ballot.kv;

import dev.ballot.storage.StorageCorruptionException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The leases in {@link KvSpace#LEASES}: one record per lease ({@code 'l'}, 8-byte big-endian id ->
 * granted TTL in seconds, 8 bytes), one entry per attached key ({@code 'k'}, id, key -> empty), and
 * the bytes of keys and values attached to the lease ({@code 'b'}, id -> 8 bytes; absent when none
 * are, and for leases attached to before it was counted, which count from 0). A key's own record
 * names its lease too ({@code KeyValue.lease}); the attachments let a revoke find a lease's keys
 * without a scan of every key. Reads go through a view (with a batch's writes on top while a
 * command applies); writes into that batch.
 */
final class LeaseTable {
  private static final byte LEASE = 'l';
  private static final byte ATTACHED = 'k';
  private static final byte BYTES = 'b';
  private static final byte[] EMPTY = new byte[0];

  private final KvView view;
  private final KvBatch batch;

  /**
   * @param view what reads see; {@code batch.over(...)} while applying
   * @param batch where writes go; null for a read-only table
   */
  LeaseTable(KvView view, KvBatch batch) {
    this.view = view;
    this.batch = batch;
  }

  /** The TTL {@code id} was granted with, in seconds, or 0 if no such lease exists. */
  long grantedTtlSeconds(long id) {
    byte[] value = view.get(KvSpace.LEASES, leaseKey(id));
    return value == null ? 0 : decodeTtl(id, value);
  }

  boolean exists(long id) {
    return id != 0 && view.get(KvSpace.LEASES, leaseKey(id)) != null;
  }

  void grant(long id, long ttlSeconds) {
    writable()
        .put(KvSpace.LEASES, leaseKey(id), ByteBuffer.allocate(8).putLong(ttlSeconds).array());
  }

  /** Removes the lease's record and its count; its attachments must be gone already. */
  void remove(long id) {
    writable().delete(KvSpace.LEASES, leaseKey(id));
    writable().delete(KvSpace.LEASES, bytesKey(id));
  }

  /** The bytes of keys and values attached to {@code id}, as counted. */
  long attachedBytes(long id) {
    byte[] value = view.get(KvSpace.LEASES, bytesKey(id));
    if (value == null) {
      return 0;
    }
    if (value.length != Long.BYTES) {
      throw new StorageCorruptionException(
          "lease " + id + " byte count has " + value.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(value).getLong();
  }

  /**
   * Adds {@code delta} to the bytes attached to {@code id}, never below 0 (a lease attached to
   * before bytes were counted holds more than its count); returns the new count.
   */
  long addAttachedBytes(long id, long delta) {
    long bytes = Math.max(0, attachedBytes(id) + delta);
    if (bytes == 0) {
      writable().delete(KvSpace.LEASES, bytesKey(id));
    } else {
      writable()
          .put(
              KvSpace.LEASES, bytesKey(id), ByteBuffer.allocate(Long.BYTES).putLong(bytes).array());
    }
    return bytes;
  }

  void attach(long id, byte[] key) {
    writable().put(KvSpace.LEASES, attachedKey(id, key), EMPTY);
  }

  void detach(long id, byte[] key) {
    writable().delete(KvSpace.LEASES, attachedKey(id, key));
  }

  /** The keys attached to {@code id}, in key order. */
  List<byte[]> keys(long id) {
    byte[] from = attachedKey(id, EMPTY);
    byte[] to = attachedKey(id + 1, EMPTY);
    List<byte[]> keys = new ArrayList<>();
    if (id == -1) {
      // the next id wraps around; scan to the end of the attachments instead
      to = new byte[] {ATTACHED + 1};
    }
    view.scan(
        KvSpace.LEASES,
        from,
        to,
        (stored, position) -> {
          keys.add(Arrays.copyOfRange(stored, 1 + Long.BYTES, stored.length));
          return true;
        });
    return keys;
  }

  /** Every lease, in the order of its stored id (big-endian bytes). */
  List<Lease> all() {
    List<Lease> leases = new ArrayList<>();
    view.scan(
        KvSpace.LEASES,
        new byte[] {LEASE},
        new byte[] {LEASE + 1},
        (stored, position) -> {
          long id = ByteBuffer.wrap(stored, 1, Long.BYTES).getLong();
          leases.add(new Lease(id, decodeTtl(id, position.value())));
          return true;
        });
    return leases;
  }

  private KvBatch writable() {
    if (batch == null) {
      throw new IllegalStateException("write to a read-only lease table");
    }
    return batch;
  }

  private static byte[] leaseKey(long id) {
    return ByteBuffer.allocate(1 + Long.BYTES).put(LEASE).putLong(id).array();
  }

  private static byte[] bytesKey(long id) {
    return ByteBuffer.allocate(1 + Long.BYTES).put(BYTES).putLong(id).array();
  }

  private static byte[] attachedKey(long id, byte[] key) {
    return ByteBuffer.allocate(1 + Long.BYTES + key.length)
        .put(ATTACHED)
        .putLong(id)
        .put(key)
        .array();
  }

  private static long decodeTtl(long id, byte[] value) {
    if (value.length != Long.BYTES) {
      throw new StorageCorruptionException(
          "lease " + id + " record has " + value.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(value).getLong();
  }
}
