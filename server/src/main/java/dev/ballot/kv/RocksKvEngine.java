package dev.ballot.kv;

import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.KvFamilies;
import dev.ballot.storage.StorageCorruptionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
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
 * The key spaces in the column families of the node's RocksDB instance ({@link KvFamilies}; see
 * {@link KvSpace#family} for which space lives where), which the engine does not own. Snapshots are
 * RocksDB snapshots; batches are serialized write batches, indexed once a read through them needs
 * it and then read with {@code getFromBatchAndDB} and {@code newIteratorWithBase}.
 */
public final class RocksKvEngine implements KvEngine {
  private final RocksDB db;

  /** The family of each {@link KvSpace.Family}, by ordinal. */
  private final ColumnFamilyHandle[] families;

  /**
   * The keys and values a batch keeps in Java before it moves them into an indexed native batch:
   * the commands the list pays off for are small, and a large one (a delete of many keys, up to
   * {@link KvTxn#MAX_DELETE_BYTES}) should not hold its bytes on the heap twice until its write.
   */
  static final long MAX_PENDING_BYTES = 1L << 20;

  /** Their ids, as serialized batches name them (asking a handle is a native call). */
  private final int[] familyIds;

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

  /** How many batches were indexed: each then took one call into RocksDB per write after it. */
  private final LongAdder indexedBatches = new LongAdder();

  public RocksKvEngine(RocksDB db, KvFamilies families) {
    this.db = db;
    this.families = new ColumnFamilyHandle[KvSpace.Family.values().length];
    this.families[KvSpace.Family.DATA.ordinal()] = families.data();
    this.families[KvSpace.Family.META.ordinal()] = families.meta();
    this.families[KvSpace.Family.EVENTS.ordinal()] = families.events();
    this.familyIds = new int[this.families.length];
    for (int i = 0; i < familyIds.length; i++) {
      familyIds[i] = this.families[i].getID();
    }
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

  /** How many batches were indexed so far (see {@link Batch}). */
  long indexedBatches() {
    return indexedBatches.sum();
  }

  private ColumnFamilyHandle family(KvSpace space) {
    return families[space.family().ordinal()];
  }

  /** The family a serialized batch names by {@code id}. */
  private ColumnFamilyHandle familyWithId(int id) {
    for (int i = 0; i < familyIds.length; i++) {
      if (familyIds[i] == id) {
        return families[i];
      }
    }
    throw new IllegalArgumentException("no kv family has id " + id);
  }

  private static UncheckedIOException readFailed(KvSpace space, RocksDBException e) {
    return new UncheckedIOException(new IOException("kv read of " + space.family() + " failed", e));
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
   * A batch that is indexed only once it must be. Until a read meets its writes (a read of a key it
   * wrote, or a scan of a space it wrote), or they pass {@link #MAX_PENDING_BYTES}, its writes stay
   * in a Java list, handed to RocksDB at the write as one serialized batch ({@link
   * WriteBatchRecords}): one call into the native library instead of one per put, and no index. A
   * put or delete of a key without a lease reads the record it replaces before it writes anything,
   * and a batch of such commands ({@link KvStore#applyBatched}) finds the records it wrote in the
   * store's record cache, so they seldom pay for the index; a command that reads a key after
   * writing it (a txn whose later ops see its earlier ones, a lease's byte count updated twice, in
   * one command or two of a batch) has the writes so far indexed at that read, and indexed as they
   * come from then on.
   */
  private final class Batch implements KvBatch {
    /** The writes so far, while not indexed. */
    private final List<WriteBatchRecords.Record> pending = new ArrayList<>();

    /** Their keys and values, in bytes. */
    private long pendingBytes;

    /** The spaces written while not indexed, a bit per {@link KvSpace} ordinal. */
    private int writtenSpaces;

    /**
     * The {@link KvSpace#DATA} keys written while not indexed, so that a read of a record the batch
     * did not write goes to the base without indexing the batch: a batch that holds several
     * commands ({@link KvStore#applyBatched}) is read by each of them for the record each replaces,
     * mostly of keys it does not hold. The other spaces, read seldom, are indexed at a read as a
     * whole.
     */
    private final Set<ByteBuffer> pendingKeys = new HashSet<>();

    private int writes;

    /** Null until a read through the batch needed it; then the batch's only writes. */
    private WriteBatchWithIndex indexed;

    private boolean closed;

    @Override
    public void put(KvSpace space, byte[] key, byte[] value) {
      add(space, key, Objects.requireNonNull(value, "value"));
    }

    @Override
    public void delete(KvSpace space, byte[] key) {
      add(space, key, null);
    }

    private void add(KvSpace space, byte[] key, byte[] value) {
      checkOpen();
      byte[] stored = space.stored(key);
      writes++;
      if (indexed == null) {
        pending.add(
            new WriteBatchRecords.Record(familyIds[space.family().ordinal()], stored, value));
        pendingBytes += stored.length + (value == null ? 0 : value.length);
        writtenSpaces |= 1 << space.ordinal();
        if (space == KvSpace.DATA) {
          pendingKeys.add(ByteBuffer.wrap(stored));
        }
        if (pendingBytes > MAX_PENDING_BYTES) {
          index(); // a large command: its bytes go into native memory as they come, as before
        }
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

    /**
     * The batch to read {@code space} through, indexed now if it must be; null while no write
     * touches the space (each space's stored keys are apart from every other's, see {@link
     * KvSpace}), so that the read goes to the base alone.
     */
    WriteBatchWithIndex readable(KvSpace space) {
      if (indexed == null && (writtenSpaces & (1 << space.ordinal())) != 0) {
        index();
      }
      return indexed;
    }

    /** {@link #readable(KvSpace)} for a read of the one stored key {@code stored}. */
    WriteBatchWithIndex readable(KvSpace space, byte[] stored) {
      if (indexed == null
          && space == KvSpace.DATA
          && !pendingKeys.contains(ByteBuffer.wrap(stored))) {
        return null;
      }
      return readable(space);
    }

    @Override
    public int writes() {
      return writes;
    }

    private void index() {
      indexedBatches.increment();
      WriteBatchWithIndex index = new WriteBatchWithIndex(true);
      boolean done = false;
      try {
        for (WriteBatchRecords.Record r : pending) {
          ColumnFamilyHandle family = familyWithId(r.family());
          if (r.value() == null) {
            index.delete(family, r.key());
          } else {
            index.put(family, r.key(), r.value());
          }
        }
        done = true;
      } catch (RocksDBException e) {
        throw new UncheckedIOException(new IOException("kv batch index failed", e));
      } finally {
        if (!done) {
          index.close();
        }
      }
      indexed = index;
      pending.clear();
      pendingKeys.clear();
      pendingBytes = 0;
    }

    /** Writes the batch to RocksDB. */
    void writeTo(RocksDB db, WriteOptions options) throws RocksDBException {
      checkOpen();
      if (indexed != null) {
        db.write(options, indexed);
        return;
      }
      try (WriteBatch batch = new WriteBatch(WriteBatchRecords.encode(pending))) {
        db.write(options, batch);
      }
    }

    private void checkOpen() {
      if (closed) {
        throw new IllegalStateException("the batch is closed");
      }
    }

    @Override
    public KvView over(KvView base) {
      return new BatchView(this, (DbView) base);
    }

    @Override
    public void close() {
      closed = true;
      if (indexed != null) {
        indexed.close();
        indexed = null;
      }
      pending.clear();
      pendingKeys.clear();
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
      byte[] stored = space.stored(key);
      WriteBatchWithIndex writes = batch.readable(space, stored);
      if (writes == null) {
        return base.get(space, key);
      }
      try {
        return writes.getFromBatchAndDB(db, family(space), base.options, stored);
      } catch (RocksDBException e) {
        throw readFailed(space, e);
      }
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      WriteBatchWithIndex writes = batch.readable(space);
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
