package dev.ballot.kv;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The current records of the keys written or read last, so that a write finds the record it
 * replaces (its create revision, version, lease and the history's previous value) without a storage
 * lookup. Holds exactly what the data space holds for each key it has, or nothing, as the apply
 * thread sees it: with the writes of the commands applied so far, including those {@link
 * KvStore#applyBatched} holds back until their batch is written. It learns records read and the
 * writes of commands once applied, and forgets everything when the state is replaced or a batch is
 * dropped or fails to write. Least recently used records go first once it holds {@link
 * #DEFAULT_CAPACITY_BYTES}.
 *
 * <p>Owned by the apply thread: only the commands it applies read and update it.
 */
final class RecordCache {
  /** What the cache may hold, in estimated heap bytes. */
  static final long DEFAULT_CAPACITY_BYTES = 32L << 20;

  /** Estimated heap bytes of one record beyond its key and value (entry, objects, headers). */
  private static final int OVERHEAD_BYTES = 200;

  private final long capacityBytes;
  private final LinkedHashMap<ByteString, KeyValue> records =
      new LinkedHashMap<>(1024, 0.75f, true);
  private long bytes;

  RecordCache(long capacityBytes) {
    this.capacityBytes = capacityBytes;
  }

  /** The key's current record (with its key), or null if the cache does not know it. */
  KeyValue get(ByteString key) {
    return records.get(key);
  }

  /** Learns the current record of {@code key}, read from the committed state. */
  void learn(ByteString key, KeyValue record) {
    long size = size(key, record);
    if (size > capacityBytes / 8) {
      forget(key); // a record this large would push out many; it is read from storage instead
      return;
    }
    KeyValue old = records.put(key, record);
    if (old != null) {
      bytes -= size(key, old);
    }
    bytes += size;
    Iterator<Map.Entry<ByteString, KeyValue>> eldest = records.entrySet().iterator();
    while (bytes > capacityBytes && eldest.hasNext()) {
      Map.Entry<ByteString, KeyValue> entry = eldest.next();
      bytes -= size(entry.getKey(), entry.getValue());
      eldest.remove();
    }
  }

  /** Learns the changes of a command that was just written: new records, and deleted keys. */
  void written(List<Event> events) {
    for (Event event : events) {
      KeyValue kv = event.getKv();
      if (event.getType() == Event.EventType.PUT) {
        learn(kv.getKey(), kv);
      } else {
        forget(kv.getKey());
      }
    }
  }

  private void forget(ByteString key) {
    KeyValue old = records.remove(key);
    if (old != null) {
      bytes -= size(key, old);
    }
  }

  /** Forgets everything: the state underneath changed, or a write may have failed halfway. */
  void clear() {
    records.clear();
    bytes = 0;
  }

  int size() {
    return records.size();
  }

  long bytes() {
    return bytes;
  }

  private static long size(ByteString key, KeyValue record) {
    // The record holds the key too, usually the same bytes as the map's key.
    return (long) key.size() + record.getValue().size() + OVERHEAD_BYTES;
  }
}
