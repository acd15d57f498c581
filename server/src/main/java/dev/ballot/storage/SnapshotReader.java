package dev.ballot.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Reads a local snapshot as a logical dump, a piece at a time: every kv_data record in key order,
 * then every kv_meta record, each as {@code [byte family][int keyLength][key][int valueLength]
 * [value]}. Opens the checkpoint read-only; holds at most one piece plus one record in memory.
 */
public final class SnapshotReader implements AutoCloseable {
  static final byte FAMILY_DATA = 1;
  static final byte FAMILY_META = 2;

  private final ReadOnlyCheckpoint checkpoint;
  private final ColumnFamilyHandle[] families;
  private int family;
  private RocksIterator it;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private int pendingOffset;

  /**
   * @throws UncheckedIOException if RocksDB cannot open the checkpoint
   */
  public SnapshotReader(Path snapshot) {
    checkpoint = new ReadOnlyCheckpoint(snapshot);
    families = new ColumnFamilyHandle[] {checkpoint.kvData(), checkpoint.kvMeta()};
    it = checkpoint.db().newIterator(families[0]);
    it.seekToFirst();
  }

  /** The next piece of the dump, at most about {@code maxBytes} long; null at the end. */
  public byte[] next(int maxBytes) {
    while (pending.size() - pendingOffset < maxBytes && it != null) {
      if (it.isValid()) {
        writeRecord((byte) (family + 1), it.key(), it.value());
        it.next();
      } else {
        check();
        it.close();
        it = null;
        if (++family < families.length) {
          it = checkpoint.db().newIterator(families[family]);
          it.seekToFirst();
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

  private void writeRecord(byte familyTag, byte[] key, byte[] value) {
    pending.write(familyTag);
    pending.writeBytes(ByteBuffer.allocate(4).putInt(key.length).array());
    pending.writeBytes(key);
    pending.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
    pending.writeBytes(value);
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
