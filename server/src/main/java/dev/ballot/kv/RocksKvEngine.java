package dev.ballot.kv;

import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.StorageCorruptionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.Status;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;

/**
 * The key spaces in two column families of the node's RocksDB instance (kv_data and kv_meta; see
 * {@link KvSpace} for how the others live in kv_meta), which the engine does not own. Snapshots are
 * RocksDB snapshots; batches are indexed write batches, read through with {@code getFromBatchAndDB}
 * and {@code newIteratorWithBase}.
 */
public final class RocksKvEngine implements KvEngine {
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ColumnFamilyHandle meta;

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
      db.write(unsyncedWrite, mine.batch);
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

  private final class Batch implements KvBatch {
    final WriteBatchWithIndex batch = new WriteBatchWithIndex(true);

    @Override
    public void put(KvSpace space, byte[] key, byte[] value) {
      try {
        batch.put(family(space), space.stored(key), value);
      } catch (RocksDBException e) {
        throw new UncheckedIOException(new IOException("kv batch put failed", e));
      }
    }

    @Override
    public void delete(KvSpace space, byte[] key) {
      try {
        batch.delete(family(space), space.stored(key));
      } catch (RocksDBException e) {
        throw new UncheckedIOException(new IOException("kv batch delete failed", e));
      }
    }

    @Override
    public KvView over(KvView base) {
      return new BatchView(this, (DbView) base);
    }

    @Override
    public void close() {
      batch.close();
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
      try {
        return batch.batch.getFromBatchAndDB(db, family(space), base.options, space.stored(key));
      } catch (RocksDBException e) {
        throw readFailed(space, e);
      }
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      ColumnFamilyHandle family = family(space);
      // The returned iterator owns the base iterator and closes it.
      RocksIterator it =
          batch.batch.newIteratorWithBase(
              family, db.newIterator(family, base.options), base.options);
      RocksKvEngine.scan(space, it, from, to, visitor);
    }

    @Override
    public void close() {}
  }
}
