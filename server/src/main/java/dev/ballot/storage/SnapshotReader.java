package dev.ballot.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Reads a local snapshot as a logical dump, a piece at a time: every kv_data record in key order,
 * then every kv_meta record with the events of kv_events among them in key order (as one family,
 * the form of earlier versions, whose kv_meta held the events; see {@link KvFamilies}), each as
 * {@code [byte family][int keyLength][key][int valueLength][value]}. Opens the checkpoint
 * read-only; holds at most one piece plus one record in memory.
 */
public final class SnapshotReader implements AutoCloseable {
  static final byte FAMILY_DATA = 1;
  static final byte FAMILY_META = 2;

  /** A family's keys from {@code from} (inclusive, null: the first) to {@code to} (exclusive). */
  private record Part(byte tag, ColumnFamilyHandle family, byte[] from, byte[] to) {}

  private final ReadOnlyCheckpoint checkpoint;
  private final List<Part> parts;
  private int part;
  private RocksIterator it;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private int pendingOffset;

  /**
   * @throws UncheckedIOException if RocksDB cannot open the checkpoint
   */
  public SnapshotReader(Path snapshot) {
    checkpoint = new ReadOnlyCheckpoint(snapshot);
    KvFamilies kv = checkpoint.kvFamilies();
    if (kv.eventsApart()) {
      byte[] events = {(byte) KvFamilies.EVENTS_PREFIX};
      parts =
          List.of(
              new Part(FAMILY_DATA, kv.data(), null, null),
              new Part(FAMILY_META, kv.meta(), null, events),
              new Part(FAMILY_META, kv.events(), null, null),
              new Part(FAMILY_META, kv.meta(), events, null));
    } else {
      parts =
          List.of(
              new Part(FAMILY_DATA, kv.data(), null, null),
              new Part(FAMILY_META, kv.meta(), null, null));
    }
    it = open(parts.get(0));
  }

  private RocksIterator open(Part p) {
    RocksIterator opened = checkpoint.db().newIterator(p.family());
    if (p.from() == null) {
      opened.seekToFirst();
    } else {
      opened.seek(p.from());
    }
    return opened;
  }

  /** The next piece of the dump, at most about {@code maxBytes} long; null at the end. */
  public byte[] next(int maxBytes) {
    while (pending.size() - pendingOffset < maxBytes && it != null) {
      Part p = parts.get(part);
      byte[] key = it.isValid() ? it.key() : null;
      if (key != null && (p.to() == null || Arrays.compareUnsigned(key, p.to()) < 0)) {
        writeRecord(pending, p.tag(), key, it.value());
        it.next();
      } else {
        check();
        it.close();
        it = null;
        if (++part < parts.size()) {
          it = open(parts.get(part));
        }
      }
    }
    int available = pending.size() - pendingOffset;
    if (available == 0) {
      return null;
    }
    int length = Math.min(available, maxBytes);
    byte[] all = pending.toByteArray();
    byte[] piece = Arrays.copyOfRange(all, pendingOffset, pendingOffset + length);
    pendingOffset += length;
    if (pendingOffset == pending.size()) {
      pending.reset();
      pendingOffset = 0;
    } else if (pendingOffset > maxBytes) {
      pending.reset();
      pending.write(all, pendingOffset, all.length - pendingOffset);
      pendingOffset = 0;
    }
    return piece;
  }

  private void check() {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("snapshot read failed", e));
    }
  }

  /** Appends one record of the dump to {@code out}. */
  static void writeRecord(ByteArrayOutputStream out, byte familyTag, byte[] key, byte[] value) {
    out.write(familyTag);
    out.writeBytes(ByteBuffer.allocate(4).putInt(key.length).array());
    out.writeBytes(key);
    out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
    out.writeBytes(value);
  }

  @Override
  public void close() {
    if (it != null) {
      it.close();
      it = null;
    }
    checkpoint.close();
  }
}
