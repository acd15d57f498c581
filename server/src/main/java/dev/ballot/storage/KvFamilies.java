package dev.ballot.storage;

import org.rocksdb.ColumnFamilyHandle;

/**
 * The column families of the key-value store: {@code kv_data} (each user key's current record),
 * {@code kv_meta} (the applied index, revision, configuration, alarms and leases) and {@code
 * kv_events} (the history, one event per key changed per revision).
 *
 * <p>The history has a family of its own because its keys grow with the revision: each flush of
 * {@code kv_events} makes a level-0 file whose keys all follow those of every older file, so
 * RocksDB moves such files down the levels instead of rewriting them. When the events shared {@code
 * kv_meta} with keys that every apply rewrites (the applied index, the revision), each level-0 file
 * overlapped the whole history below it and each compaction rewrote all of it. A compaction of the
 * history (etcd's Compact) is a range delete over its oldest events, which the next flushed file
 * carries over the whole range below: the next compaction of level 0 then rewrites the history
 * kept, once per compaction of the history.
 *
 * <p>An event's key keeps the one-byte prefix {@value #EVENTS_PREFIX} it had inside {@code kv_meta}
 * in earlier versions, so the keys are the same bytes in either place: a snapshot's dump carries
 * events as {@code kv_meta} records in key order, as before, and an older storage's events move
 * over unchanged ({@link RocksDbRaftStorage}). A checkpoint written by an older version has no
 * {@code kv_events}; its families name {@code kv_meta} for the events too.
 */
public record KvFamilies(
    ColumnFamilyHandle data, ColumnFamilyHandle meta, ColumnFamilyHandle events) {
  /** The first byte of every event's key. */
  public static final int EVENTS_PREFIX = 0xf1;

  /** The families of an older storage, whose events are in {@code kv_meta}. */
  public static KvFamilies withEventsInMeta(ColumnFamilyHandle data, ColumnFamilyHandle meta) {
    return new KvFamilies(data, meta, meta);
  }

  /** Whether a {@code kv_meta} key, as a dump carries it, is an event's. */
  public static boolean isEventKey(byte[] key) {
    return key.length > 0 && (key[0] & 0xff) == EVENTS_PREFIX;
  }

  /** Whether the events have a family of their own. */
  public boolean eventsApart() {
    return events != meta;
  }
}
