package dev.ballot.kv;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.storage.StorageCorruptionException;
import java.nio.ByteBuffer;

/**
 * The store's history in {@link KvSpace#EVENTS}: one etcd {@link Event} per key changed per
 * revision, with the key's record before the change ({@code prev_kv}) when it had one, keyed by the
 * revision and the change's place within it (both big-endian, so a scan visits them in order).
 * Watches replay it, and a read at a past revision ({@link RevisionView}) rebuilds the key space
 * from it. A compaction at revision C removes everything before C.
 */
public final class History {
  private static final int KEY_BYTES = Long.BYTES + Integer.BYTES;

  private History() {}

  /** The key of the {@code sub}-th change (from 0) of {@code revision}. */
  static byte[] key(long revision, int sub) {
    return ByteBuffer.allocate(KEY_BYTES).putLong(revision).putInt(sub).array();
  }

  /** The first key of {@code revision}'s changes: a scan from it starts at that revision. */
  static byte[] firstKey(long revision) {
    return key(revision, 0);
  }

  static long revisionOf(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new StorageCorruptionException("history key has " + key.length + " bytes");
    }
    return ByteBuffer.wrap(key).getLong();
  }

  static Event decode(byte[] key, byte[] value) {
    try {
      return Event.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageCorruptionException(
          "history record of revision " + revisionOf(key) + " is corrupt", e);
    }
  }

  /** Receives events in revision order; returns false to stop. */
  @FunctionalInterface
  public interface EventVisitor {
    boolean visit(long revision, Event event);
  }

  /** Visits the events of revisions {@code from} and later, in order, until told to stop. */
  static void scan(KvView view, long from, EventVisitor visitor) {
    view.scan(
        KvSpace.EVENTS,
        firstKey(Math.max(from, 0)),
        null,
        (key, position) -> visitor.visit(revisionOf(key), decode(key, position.value())));
  }
}
