package dev.ballot.kv;

import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.StorageCorruptionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;

/**
 * The key spaces in two column families of the node's RocksDB instance (kv_data and kv_meta; see
 * {@link KvSpace} for how the others live in kv_meta), which the engine does not own. Snapshots are
 * RocksDB snapshots; batches are serialized write batches, indexed once a read through them needs
 * it and then read with {@code getFromBatchAndDB} and {@code newIteratorWithBase}.
 */
public final class RocksKvEngine implements KvEngine {
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ColumnFamilyHandle meta;

  /** The families' ids, as serialized batches name them (asking a handle is a native call). */
  private final int dataId;

  private final int metaId;

  /**
   * The state machine's writes bypass the write-ahead log: the Raft log is the durable record of
   * every command, so a crash that loses the memtables only rolls the applied index back to the
   * last flush, and the node applies the rest again from its log. RocksDB flushes all column
   * families atomically (the applied index and the data it describes stay together), at every
   * snapshot (a checkpoint flushes, and the log is compacted only below a snapshot) and at a clean
   * close. The WAL then carries only the log: half the bytes or less to sync per write.
   */
  private final WriteOptions unsyncedWrite = new WriteOptions().setDisableWAL(true);

  private final ReadOptions latestRead = new ReadOptions();
  private final DbView live = new DbView(latestRead, null);

  public RocksKvEngine(RocksDB db, ColumnFamilyHandle data, ColumnFamilyHandle meta) {
    this.db = db;
    this.data = data;
    this.meta = meta;
    this.dataId = data.getID();
    this.metaId = meta.getID();
  }

  @Override
  public KvView live() {
    return live;
  }

  @Override
  public KvView snapshot() {
    Snapshot snapshot = db.getSnapshot();
    return new DbView(new ReadOptions().setSnapshot(snapshot), snapshot);
  }

  @Override
  public KvBatch newBatch() {
    return new Batch();
  }

  @Override
  public void write(KvBatch batch, long index) {
    if (!(batch instanceof Batch mine)) {
      throw new IllegalArgumentException("a batch of another engine: " + batch);
    }
    try {
      mine.writeTo(db, unsyncedWrite);
    } catch (RocksDBException e) {
      if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption) {
        throw new StorageCorruptionException(
            "kv apply of index " + index + " failed at " + db.getName() + ": " + e.getMessage(), e);
      }
      throw new DiskFailureException("kv apply of index " + index, Path.of(db.getName()), e);
    }
  }

  @Override
  public void deleteRange(KvSpace space, byte[] from, byte[] to, long index) {
    try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
      batch.deleteRange(family(space), space.stored(from), space.storedEnd(to));
      db.write(unsyncedWrite, batch);
    } catch (RocksDBException e) {
      throw new DiskFailureException("kv range delete of index " + index, Path.of(db.getName()), e);
    }
  }

  @Override
  public void close() {
    unsyncedWrite.close();
    latestRead.close();
  }

  private ColumnFamilyHandle family(KvSpace space) {
    return space.inDataFamily() ? data : meta;
  }

  private static UncheckedIOException readFailed(KvSpace space, RocksDBException e) {
    return new UncheckedIOException(
        new IOException(space.inDataFamily() ? "kv read failed" : "kv_meta read failed", e));
  }

  /** Runs a scan of {@code space} over {@code it}, which it closes. */
  private static void scan(
      KvSpace space, RocksIterator it, byte[] from, byte[] to, KvView.Visitor visitor) {
    byte[] end = space.storedEnd(to);
    try (it) {
      KvView.Position position = it::value;
      for (it.seek(space.stored(from)); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (end != null && KeyRanges.compare(key, end) >= 0) {
          break;
        }
        if (!visitor.visit(space.unstored(key), position)) {
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

  /** The committed state as {@code options} sees it: at {@code snapshot} if not null. */
  private final class DbView implements KvView {
    final ReadOptions options;
    private final Snapshot snapshot;

    DbView(ReadOptions options, Snapshot snapshot) {
      this.options = options;
      this.snapshot = snapshot;
    }

    @Override
    public byte[] get(KvSpace space, byte[] key) {
      try {
        return db.get(family(space), options, space.stored(key));
      } catch (RocksDBException e) {
        throw readFailed(space, e);
      }
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      RocksKvEngine.scan(space, db.newIterator(family(space), options), from, to, visitor);
    }

    @Override
    public void close() {
      if (snapshot != null) {
        options.close();
        db.releaseSnapshot(snapshot);
      }
    }
  }

  /**
   * A batch that is indexed only once it must be. Until a read through it finds writes in it, its
   * writes stay in a Java list, handed to RocksDB at the write as one serialized batch ({@link
   * WriteBatchRecords}): one call into the native library instead of one per put, and no index.
   * Most commands read the records they replace before they write anything (a put, a delete of one
   * key), so they never pay for the index; a command that reads after writing (a txn whose later
   * ops see its earlier ones) has its writes so far indexed at that read, and indexed as they come
   * from then on.
   */
  private final class Batch implements KvBatch {
    /** The writes so far, while not indexed. */
    private final List<WriteBatchRecords.Record> pending = new ArrayList<>();

    /** Null until a read through the batch needed it; then the batch's only writes. */
    private WriteBatchWithIndex indexed;

    @Override
    public void put(KvSpace space, byte[] key, byte[] value) {
      add(space, key, value);
    }

    @Override
    public void delete(KvSpace space, byte[] key) {
      add(space, key, null);
    }

    private void add(KvSpace space, byte[] key, byte[] value) {
      byte[] stored = space.stored(key);
      if (indexed == null) {
        pending.add(
            new WriteBatchRecords.Record(space.inDataFamily() ? dataId : metaId, stored, value));
        return;
      }
      try {
        if (value == null) {
          indexed.delete(family(space), stored);
        } else {
          indexed.put(family(space), stored, value);
        }
      } catch (RocksDBException e) {
        throw new UncheckedIOException(new IOException("kv batch write failed", e));
      }
    }

    /** The batch to read through, indexed now if needed; null while it holds no write. */
    WriteBatchWithIndex readable() {
      if (indexed == null && !pending.isEmpty()) {
        WriteBatchWithIndex index = new WriteBatchWithIndex(true);
        try {
          for (WriteBatchRecords.Record r : pending) {
            ColumnFamilyHandle family = r.family() == dataId ? data : meta;
            if (r.value() == null) {
              index.delete(family, r.key());
            } else {
              index.put(family, r.key(), r.value());
            }
          }
        } catch (RocksDBException e) {
          index.close();
          throw new UncheckedIOException(new IOException("kv batch index failed", e));
        }
        indexed = index;
        pending.clear();
      }
      return indexed;
    }

    /** Writes the batch to RocksDB. */
    void writeTo(RocksDB db, WriteOptions options) throws RocksDBException {
      if (indexed != null) {
        db.write(options, indexed);
        return;
      }
      try (WriteBatch batch = new WriteBatch(WriteBatchRecords.encode(pending))) {
        db.write(options, batch);
      }
    }

    @Override
    public KvView over(KvView base) {
      return new BatchView(this, (DbView) base);
    }

    @Override
    public void close() {
      if (indexed != null) {
        indexed.close();
      }
    }
  }

  /** The committed keys with the not yet written puts and deletes of a batch on top. */
  private final class BatchView implements KvView {
    private final Batch batch;
    private final DbView base;

    BatchView(Batch batch, DbView base) {
      this.batch = batch;
      this.base = base;
    }

    @Override
    public byte[] get(KvSpace space, byte[] key) {
      WriteBatchWithIndex writes = batch.readable();
      if (writes == null) {
        return base.get(space, key);
      }
      try {
        return writes.getFromBatchAndDB(db, family(space), base.options, space.stored(key));
      } catch (RocksDBException e) {
        throw readFailed(space, e);
      }
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      WriteBatchWithIndex writes = batch.readable();
      if (writes == null) {
        base.scan(space, from, to, visitor);
        return;
      }
      ColumnFamilyHandle family = family(space);
      // The returned iterator owns the base iterator and closes it.
      RocksIterator it =
          writes.newIteratorWithBase(family, db.newIterator(family, base.options), base.options);
      RocksKvEngine.scan(space, it, from, to, visitor);
    }

    @Override
    public void close() {}
  }
}
