package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.KvFamilies;
import dev.ballot.storage.StorageCorruptionException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state machine: etcd's key space, each key's current record in the {@link
 * KvSpace#DATA} space of a {@link KvEngine} (on a node, RocksDB's kv_data column family), keyed by
 * the raw user key; its history since the last compaction in {@link KvSpace#EVENTS} ({@link
 * History}); and the applied index, revision and compacted revision in {@link KvSpace#META}
 * (kv_meta). Changes are written with the applied index of the last entry they hold in one unsynced
 * batch (one entry's, or those {@link #applyBatched} held back until {@link #endBatch}): the Raft
 * log is the durable source, and after a crash the node replays from {@code appliedIndex() + 1}.
 * Leases (id, granted TTL, attached keys) are in {@link KvSpace#LEASES} ({@link LeaseTable}).
 *
 * <p>Threads: one thread applies ({@link #apply}, {@link #applyBatched}, {@link #endBatch}, {@link
 * #applyEmpty}); any thread may read what is written ({@link #range}, {@link #readTxn}, {@link
 * #hash}, {@link #revision}, {@link #appliedIndex}). A read sees one snapshot of the engine, keys
 * and revision alike.
 */
public final class KvStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KvStore.class);

  /** A fresh etcd cluster answers reads with revision 1; its first write makes revision 2. */
  static final long INITIAL_REVISION = 1;

  private static final byte[] APPLIED_INDEX_KEY = "applied_index".getBytes(UTF_8);
  private static final byte[] REVISION_KEY = "revision".getBytes(UTF_8);

  /** The revision of the last compaction; absent (0) if none was. */
  private static final byte[] COMPACT_REVISION_KEY = "compact_revision".getBytes(UTF_8);

  /** The newest applied configuration entry: its index (8 bytes), then its payload. */
  private static final byte[] CONFIG_KEY = "config".getBytes(UTF_8);

  /** The raised alarms ({@link Alarms}); absent when none ever was. */
  private static final byte[] ALARMS_KEY = "alarms".getBytes(UTF_8);

  /**
   * Present only while a range delete is written in parts ({@link #applyRangeDelete}): how far it
   * got ({@link PartialDelete}), written with each part, removed with the last.
   */
  private static final byte[] PARTIAL_DELETE_KEY = "partial_delete".getBytes(UTF_8);

  /**
   * What one part of a range delete writes at most (512 KiB, by {@link KvTxn#deleteWriteBytes}'s
   * estimate: each key's delete, and its history event with the record again as the previous
   * value), or one key alone if it writes more: what the apply thread holds in memory for it, on
   * every node and on every replay, however large the range. Half the size at which the engine
   * indexes a batch ({@link RocksKvEngine#MAX_PENDING_BYTES}; the other half leaves room for the
   * part's progress record), so a part goes to RocksDB in one call: parts of 16 MiB of keys and
   * values were indexed and copied into native memory one write at a time, which took most of the
   * apply thread's time in a delete of 210,000 keys.
   */
  static final long DELETE_PART_BYTES = RocksKvEngine.MAX_PENDING_BYTES / 2;

  private final KvEngine engine;

  /** The records the apply thread wrote or read last, which writes read before storage. */
  private final RecordCache records;

  /** What one part of a range delete writes at most: {@link #DELETE_PART_BYTES} but in tests. */
  private final long deletePartBytes;

  /**
   * Readers hold it shared; a snapshot install holds it exclusively, so that no read and no backup
   * sees a store that is half old state, half new.
   */
  private final ReentrantReadWriteLock installLock = new ReentrantReadWriteLock();

  /**
   * Held for writing while a range delete is written in parts, for reading by whatever copies the
   * engine's files ({@link #readStable}: snapshot takes, backups), so that a copy holds whole
   * entries only.
   */
  private final ReentrantReadWriteLock wholeEntries = new ReentrantReadWriteLock();

  /**
   * While a range delete is written in parts: the state before it, which every read is given until
   * the last part is written, so that no read waits and none sees a part. Set and cleared under
   * {@link #publishing}'s write lock.
   */
  private volatile SharedView beforeParts;

  /**
   * Held for writing by the apply thread from a write to the engine until the fields below say what
   * it wrote, so a reader that took an engine snapshot meanwhile can tell that the revisions in the
   * fields may not be the snapshot's (see {@link SnapshotRead}).
   */
  private final StampedLock publishing = new StampedLock();

  // Written by the apply thread only, after the batch that holds them.
  private volatile long appliedIndex;
  private volatile long revision;
  private volatile long compactRevision;
  private volatile Alarms alarms;

  /**
   * The commands applied by {@link #applyBatched} and not yet written, or null; the apply thread's
   * alone.
   */
  private OpenBatch open;

  /** Told of each index up to which held-back commands were written; the apply thread's. */
  private LongConsumer onWritten = index -> {};

  /** Told of every revision's changes once written; the apply thread calls it. */
  private volatile ChangeListener listener = (rev, events) -> {};

  /** Learns the changes of each new revision, on the apply thread, right after they are written. */
  @FunctionalInterface
  public interface ChangeListener {
    void changed(long revision, List<Event> events);

    /**
     * A snapshot replaced the whole state: the revisions up to {@code revision} were not announced
     * one by one (their changes are in the history, unless compacted).
     */
    default void replaced(long revision) {}

    /**
     * {@code revision} was written in parts, too many changes to hand over at once: they are in the
     * history only. Whoever needs them reads them from there, as after {@link #replaced}.
     */
    default void changedInHistory(long revision) {
      replaced(revision);
    }
  }

  /** A store in the node's RocksDB instance, which it does not own. */
  public KvStore(RocksDB db, KvFamilies families) {
    this(new RocksKvEngine(db, families));
  }

  /** A store over {@code engine}, which it closes when closed. */
  public KvStore(KvEngine engine) {
    this(engine, RecordCache.DEFAULT_CAPACITY_BYTES);
  }

  /**
   * A store over {@code engine} that writes a range delete in parts of at most {@code
   * deletePartBytes} each (the simulation's small parts put its deletes through them).
   */
  public static KvStore withDeleteParts(KvEngine engine, long deletePartBytes) {
    return new KvStore(engine, RecordCache.DEFAULT_CAPACITY_BYTES, deletePartBytes);
  }

  /** A store whose writes keep up to {@code cachedRecordBytes} of current records in memory. */
  KvStore(KvEngine engine, long cachedRecordBytes) {
    this(engine, cachedRecordBytes, DELETE_PART_BYTES);
  }

  /**
   * A store that writes a range delete in parts of at most {@code deletePartBytes} each ({@link
   * #DELETE_PART_BYTES}). If the engine holds a delete that a crash interrupted, finishes it first:
   * no reader ever sees part of one.
   */
  KvStore(KvEngine engine, long cachedRecordBytes, long deletePartBytes) {
    this.engine = engine;
    this.records = new RecordCache(cachedRecordBytes);
    this.deletePartBytes = deletePartBytes;
    this.appliedIndex = readLong(engine.live(), APPLIED_INDEX_KEY, 0);
    this.revision = readLong(engine.live(), REVISION_KEY, INITIAL_REVISION);
    this.compactRevision = readLong(engine.live(), COMPACT_REVISION_KEY, 0);
    this.alarms = readAlarms();
    if (appliedIndex < 0 || revision < INITIAL_REVISION) {
      throw new StorageCorruptionException(
          "kv_meta is corrupt: appliedIndex=" + appliedIndex + " revision=" + revision);
    }
    finishInterruptedDelete();
  }

  /**
   * Replaces the state underneath the store (a snapshot install, by the apply thread) while no
   * reader runs, then reads the applied index and revision of the new state.
   */
  public <T> T replaceState(Supplier<T> install) {
    endBatch();
    installLock.writeLock().lock();
    T result;
    try {
      result = install.get();
      reload();
    } finally {
      installLock.writeLock().unlock();
    }
    listener.replaced(revision);
    return result;
  }

  /** A read of the live instance that must not overlap a snapshot install (a backup, a hash). */
  @FunctionalInterface
  public interface StableRead<T, E extends Exception> {
    T run() throws E;
  }

  /** Runs {@code read} while no snapshot install can replace the state underneath it. */
  public <T, E extends Exception> T readStable(StableRead<T, E> read) throws E {
    installLock.readLock().lock();
    wholeEntries.readLock().lock();
    try {
      return read.run();
    } finally {
      wholeEntries.readLock().unlock();
      installLock.readLock().unlock();
    }
  }

  private void reload() {
    records.clear();
    long index = readLong(engine.live(), APPLIED_INDEX_KEY, 0);
    long rev = readLong(engine.live(), REVISION_KEY, INITIAL_REVISION);
    if (index < 0 || rev < INITIAL_REVISION) {
      throw new StorageCorruptionException(
          "kv_meta is corrupt: appliedIndex=" + index + " revision=" + rev);
    }
    alarms = readAlarms();
    compactRevision = readLong(engine.live(), COMPACT_REVISION_KEY, 0);
    revision = rev;
    appliedIndex = index;
    if (engine.live().get(KvSpace.META, PARTIAL_DELETE_KEY) != null) {
      // Snapshots are taken while no delete is half written (readStable), so none holds one.
      throw new StorageCorruptionException("the installed state holds a delete written in part");
    }
  }

  /** Sets who learns each revision's changes (one listener; the watch hub). */
  public void onChanges(ChangeListener listener) {
    this.listener = listener;
  }

  /** The revision of the last compaction: reads and watches from revisions before it fail. */
  public long compactRevision() {
    return compactRevision;
  }

  /** The alarms raised, as of the last applied entry. */
  public Alarms alarms() {
    return alarms;
  }

  private Alarms readAlarms() {
    byte[] value = engine.live().get(KvSpace.META, ALARMS_KEY);
    return value == null ? Alarms.NONE : Alarms.decode(value);
  }

  /** The index of the last log entry applied; 0 if none. */
  public long appliedIndex() {
    return appliedIndex;
  }

  /** The current store revision; 1 for an empty store, as in etcd. */
  public long revision() {
    return revision;
  }

  /**
   * Applies the committed entry at {@code index}, which must follow the last applied one, and
   * writes it (after what {@link #applyBatched} held back). A command rejected here (say, a put
   * with {@code ignore_value} on a missing key) writes nothing but still counts as applied.
   */
  public ApplyResult apply(long index, Command command) {
    endBatch();
    checkNextIndex(index);
    long before = revision;
    if (command.hasAlarm()) {
      return applyAlarm(index, command.getAlarm());
    }
    if (command.hasCompaction()) {
      return applyCompaction(index, command.getCompaction());
    }
    if (alarms.noSpace() && Alarms.addsData(command)) {
      // Every node has the same alarms at this index, so every node refuses alike.
      return reject(index, new KvException(KvError.NO_SPACE));
    }
    if (command.hasDeleteRange()
        && !command.getDeleteRange().getPrevKv()
        && !KeyRanges.isSingleKey(command.getDeleteRange().getRangeEnd())) {
      return applyRangeDelete(index, command);
    }
    try (KvTxn txn = new KvTxn(engine, engine.live(), before, compactRevision, false, records)) {
      ResponseOp response;
      try {
        KvRequests.checkShape(command);
        response = execute(txn, command);
      } catch (KvException e) {
        return reject(index, e);
      } catch (UncheckedIOException | StorageCorruptionException e) {
        throw e; // the disk, not the command: this node must stop
      } catch (RuntimeException e) {
        return rejectFailed(index, e);
      }
      return written(txn, index, before, response);
    }
  }

  /**
   * Applies the committed entry at {@code index} as {@link #apply} does, except that a put without
   * a lease or a delete of one key may wait, with the commands applied before it this way, until
   * {@link #endBatch}: they are written in one batch with one applied index and revision, readers
   * see none of them before that, and who listens learns of them then. Any other command writes
   * what waits first, then itself, as {@link #apply}. Its result is final either way, but the
   * caller answers only after {@link #endBatch}.
   *
   * <p>Up to {@link #MAX_BATCHED_COMMANDS} commands or {@link #MAX_BATCHED_BYTES} wait; more are
   * written at once.
   */
  public ApplyResult applyBatched(long index, Command command) {
    if (!joinsBatch(command) || (alarms.noSpace() && Alarms.addsData(command))) {
      return apply(index, command);
    }
    checkNextIndex(index);
    if (open == null) {
      open = new OpenBatch(engine.newBatch(), appliedIndex, revision);
    }
    long before = open.revision;
    int writesBefore = open.batch.writes();
    ResponseOp response;
    List<Event> events;
    long after;
    try (KvTxn txn = new KvTxn(open.batch, engine.live(), before, compactRevision, records)) {
      try {
        KvRequests.checkShape(command);
        response = execute(txn, command);
      } catch (KvException e) {
        if (open.batch.writes() != writesBefore) { // not expected: refusals come before writes
          return applyAlone(index, command);
        }
        open.add(index, command, before, List.of());
        return ApplyResult.rejected(index, before, e);
      } catch (UncheckedIOException | StorageCorruptionException | Error e) {
        dropOpenBatch(); // the disk or the JVM, not the command: this node must stop
        throw e;
      } catch (RuntimeException e) {
        return applyAlone(index, command); // a bug: it is recorded as a rejection there
      }
      after = txn.revisionAfter();
      events = txn.events();
    }
    open.add(index, command, after, events);
    records.written(events);
    if (open.applied.size() >= MAX_BATCHED_COMMANDS || open.bytes >= MAX_BATCHED_BYTES) {
      endBatch();
    }
    return ApplyResult.ok(index, after, response);
  }

  /** The most commands {@link #applyBatched} holds back. */
  static final int MAX_BATCHED_COMMANDS = 256;

  /**
   * The most command bytes {@link #applyBatched} holds back (256 KiB): a put writes its value about
   * three times (its record, and its history event's record and previous record), and the batch is
   * best kept under the size at which the engine indexes it ({@link
   * RocksKvEngine#MAX_PENDING_BYTES}), after which every read through it costs more (correct either
   * way; one large command alone passes it).
   */
  static final long MAX_BATCHED_BYTES = 256L << 10;

  /**
   * Whether {@link #applyBatched} may hold the command back: one that reads only the current
   * records of the keys it writes (no compares, no ranges, no lease to check or fill).
   */
  private static boolean joinsBatch(Command command) {
    return switch (command.getOpCase()) {
      case PUT -> command.getPut().getLease() == 0 && !command.getPut().getIgnoreLease();
      case DELETE_RANGE -> KeyRanges.isSingleKey(command.getDeleteRange().getRangeEnd());
      default -> false;
    };
  }

  /**
   * A command held back by {@link #applyBatched} failed unexpectedly (a bug), perhaps after it
   * wrote into the open batch: the batch is dropped, the commands before it are applied again one
   * by one (each gives the same result: the state before them is the same), and then this one
   * alone, which is recorded as rejected if it fails again.
   */
  private ApplyResult applyAlone(long index, Command command) {
    OpenBatch dropped = dropOpenBatch();
    for (OpenBatch.Applied applied : dropped.applied) {
      apply(applied.index(), applied.command());
    }
    return apply(index, command);
  }

  /**
   * Forgets what {@link #applyBatched} held back, half-written command included: nothing of it is
   * written, and the records cache, which learned its records, forgets everything.
   */
  private OpenBatch dropOpenBatch() {
    OpenBatch dropped = open;
    open = null;
    dropped.batch.close();
    records.clear();
    return dropped;
  }

  /**
   * Writes what {@link #applyBatched} held back, in one batch with the last one's index and the
   * revision after it, then tells who listens of each revision in order. Nothing if nothing waits.
   */
  public void endBatch() {
    OpenBatch written = open;
    if (written == null) {
      return;
    }
    open = null;
    try (KvBatch batch = written.batch) {
      commit(batch, written.index, written.revision);
    } catch (RuntimeException e) {
      records.clear(); // the node stops; nothing it knew may outlive a write that failed
      throw e;
    }
    for (OpenBatch.Applied applied : written.applied) {
      if (!applied.events().isEmpty()) {
        listener.changed(applied.revision(), applied.events());
      }
    }
    onWritten.accept(written.index);
  }

  /**
   * Sets who learns, on the apply thread, each index up to which {@link #endBatch} wrote what
   * {@link #applyBatched} held back (the apply loop, to answer those proposals before a command
   * that takes long, such as a range delete in parts).
   */
  public void onWritten(LongConsumer onWritten) {
    this.onWritten = onWritten;
  }

  /** The commands {@link #applyBatched} holds back, and the batch of their writes. */
  private static final class OpenBatch {
    record Applied(long index, Command command, long revision, List<Event> events) {}

    final KvBatch batch;
    final List<Applied> applied = new ArrayList<>();
    long index;
    long revision;
    long bytes;

    OpenBatch(KvBatch batch, long index, long revision) {
      this.batch = batch;
      this.index = index;
      this.revision = revision;
    }

    void add(long index, Command command, long revisionAfter, List<Event> events) {
      applied.add(new Applied(index, command, revisionAfter, events));
      this.index = index;
      this.revision = revisionAfter;
      bytes += command.getSerializedSize();
    }
  }

  /**
   * A command whose failure depends only on itself and the data (a bug): a committed entry must
   * apply on every node, so it is recorded as a rejection, the same on every replica, not a stop
   * that every restart would replay.
   */
  private ApplyResult rejectFailed(long index, RuntimeException e) {
    log.error("applying a committed command failed; applied as rejected index={}", index, e);
    return reject(index, new KvException(KvError.APPLY_FAILED));
  }

  /** Writes what {@code txn} did as the entry at {@code index}, and tells who listens. */
  private ApplyResult written(KvTxn txn, long index, long before, ResponseOp response) {
    long after = commitTxn(txn, index);
    if (after != before) {
      listener.changed(after, txn.events());
    }
    return ApplyResult.ok(index, after, response);
  }

  /** Writes what {@code txn} did as the entry at {@code index}; returns the revision after it. */
  private long commitTxn(KvTxn txn, long index) {
    long after = txn.revisionAfter();
    try {
      commit(txn.batch(), index, after);
    } catch (RuntimeException e) {
      records.clear(); // the node stops; nothing it knew may outlive a write that failed
      throw e;
    }
    records.written(txn.events());
    return after;
  }

  /**
   * A range delete without {@code prev_kv}, which etcd does in one transaction however large. One
   * that writes at most {@link #deletePartBytes} is written in one batch, as any command. A larger
   * one is written in parts of that size, each as soon as it is made, so that the memory it takes
   * is bounded whatever the range. While the parts are written, reads are given the state before
   * the delete ({@link #beforeParts}) and copies of the engine's files wait ({@link
   * #wholeEntries}); each part records how far the delete got ({@link PartialDelete}). If the node
   * stops in between, the store finishes the delete when it opens, before anyone reads ({@link
   * #finishInterruptedDelete}): the entry was committed, so finishing it is what every replica
   * does. The keys deleted, their order and the history written are those of a delete in one batch.
   */
  private ApplyResult applyRangeDelete(long index, Command command) {
    DeleteRangeRequest request = command.getDeleteRange();
    long before = revision;
    PartialDelete progress;
    long startedNanos = System.nanoTime();
    try (KvTxn txn = new KvTxn(engine, engine.live(), before, compactRevision, false, records)) {
      int deleted;
      try {
        KvRequests.checkShape(command);
        deleted = txn.deletePart(request, deletePartBytes);
      } catch (KvException e) {
        return reject(index, e);
      } catch (UncheckedIOException | StorageCorruptionException e) {
        throw e;
      } catch (RuntimeException e) {
        return rejectFailed(index, e);
      }
      if (!txn.moreToDelete()) {
        return written(txn, index, before, deleteResponse(txn.revisionAfter(), deleted));
      }
      progress = new PartialDelete(index, before, deleted, rest(request, txn));
      wholeEntries.writeLock().lock();
      try {
        freezeReads();
        writePart(txn, progress);
      } catch (RuntimeException e) {
        wholeEntries.writeLock().unlock();
        throw e;
      }
    }
    ApplyResult result;
    try {
      result = deleteRest(progress, startedNanos);
    } finally {
      wholeEntries.writeLock().unlock();
    }
    listener.changedInHistory(result.revision());
    return result;
  }

  /**
   * Gives every read from now on the state as it is, until the next write is published ({@link
   * #writeAndPublish}), whatever is written in between.
   */
  private void freezeReads() {
    SharedView shared = new SharedView(engine.snapshot(), revision, compactRevision);
    long stamp = publishing.writeLock();
    try {
      beforeParts = shared;
    } finally {
      publishing.unlockWrite(stamp);
    }
  }

  /**
   * Writes a part of a range delete that leaves keys to delete, with how far the delete got; not
   * yet the entry's index or revision, which only its last part writes.
   */
  private void writePart(KvTxn txn, PartialDelete progress) {
    txn.batch().put(KvSpace.META, PARTIAL_DELETE_KEY, progress.encode());
    try {
      engine.write(txn.batch(), progress.index());
    } catch (RuntimeException e) {
      records.clear(); // the node stops; nothing it knew may outlive a write that failed
      throw e;
    }
    records.written(txn.events());
  }

  /**
   * Deletes what a range delete has left after {@code progress}, part by part, and writes the last
   * part with the entry's index and revision. The caller holds {@link #wholeEntries}.
   */
  private ApplyResult deleteRest(PartialDelete progress, long startedNanos) {
    while (true) {
      try (KvTxn txn =
          new KvTxn(
              engine,
              engine.live(),
              progress.revisionBefore(),
              compactRevision,
              false,
              records,
              progress.deleted())) {
        int deleted;
        try {
          deleted = progress.deleted() + txn.deletePart(progress.request(), deletePartBytes);
        } catch (UncheckedIOException | StorageCorruptionException e) {
          throw e;
        } catch (KvException | RuntimeException e) {
          return abandonDelete(progress, e);
        }
        if (!txn.moreToDelete()) {
          txn.batch().delete(KvSpace.META, PARTIAL_DELETE_KEY);
          long after = commitTxn(txn, progress.index());
          log.info(
              "range delete written in parts index={} revision={} deleted={} took_ms={}",
              progress.index(),
              after,
              deleted,
              (System.nanoTime() - startedNanos) / 1_000_000);
          return ApplyResult.ok(progress.index(), after, deleteResponse(after, deleted));
        }
        progress =
            new PartialDelete(
                progress.index(),
                progress.revisionBefore(),
                deleted,
                rest(progress.request(), txn));
        writePart(txn, progress);
      }
    }
  }

  /**
   * A later part of a range delete failed in a way that depends only on the command and the data (a
   * bug; a range delete without {@code prev_kv} has nothing to refuse after its first part), so
   * every replica fails at the same key. What the earlier parts deleted cannot be taken back: it
   * stays deleted, as the entry's revision, and the entry counts as applied but failed, rather than
   * stopping every node on every replay.
   */
  private ApplyResult abandonDelete(PartialDelete progress, Exception e) {
    log.error(
        "a range delete written in parts failed after {} keys; applied as failed index={}",
        progress.deleted(),
        progress.index(),
        e);
    long after = progress.revisionBefore() + 1;
    try (KvBatch batch = engine.newBatch()) {
      batch.delete(KvSpace.META, PARTIAL_DELETE_KEY);
      commit(batch, progress.index(), after);
    }
    return ApplyResult.rejected(progress.index(), after, new KvException(KvError.APPLY_FAILED));
  }

  /**
   * Finishes a range delete that the node stopped in the middle of: its parts so far are written,
   * the entry is not yet applied. Runs when the store opens, before anyone may read it.
   */
  private void finishInterruptedDelete() {
    byte[] value = engine.live().get(KvSpace.META, PARTIAL_DELETE_KEY);
    if (value == null) {
      return;
    }
    PartialDelete progress = PartialDelete.decode(value);
    if (progress.index() != appliedIndex + 1
        || progress.revisionBefore() != revision
        || progress.deleted() <= 0) {
      throw new StorageCorruptionException(
          "kv_meta holds a delete written in part that does not follow the applied state: "
              + progress
              + " appliedIndex="
              + appliedIndex
              + " revision="
              + revision);
    }
    log.info(
        "finishing a range delete that a stop interrupted index={} deleted_so_far={}",
        progress.index(),
        progress.deleted());
    wholeEntries.writeLock().lock();
    try {
      deleteRest(progress, System.nanoTime());
    } finally {
      wholeEntries.writeLock().unlock();
    }
  }

  /** What {@code request} has left to delete after the part {@code txn} deleted. */
  private static DeleteRangeRequest rest(DeleteRangeRequest request, KvTxn txn) {
    return request.toBuilder().setKey(txn.resumeKey()).build();
  }

  private static ResponseOp deleteResponse(long revisionAfter, int deleted) {
    return ResponseOp.newBuilder()
        .setResponseDeleteRange(
            DeleteRangeResponse.newBuilder()
                .setHeader(txnHeader(revisionAfter))
                .setDeleted(deleted))
        .build();
  }

  /**
   * An engine snapshot with the revisions it holds, closed when the last holder lets go: one read's
   * own, or the state before a delete in parts, which every read shares until its last part.
   */
  private static final class SharedView {
    /** Read by whoever holds it; closed by the last {@link #release}. */
    final KvView view;

    final long revision;
    final long compactRevision;
    private int holders = 1;

    SharedView(KvView view, long revision, long compactRevision) {
      this.view = view;
      this.revision = revision;
      this.compactRevision = compactRevision;
    }

    /** Takes a hold for one more read; false if it is closed already. */
    synchronized boolean hold() {
      if (holders == 0) {
        return false;
      }
      holders++;
      return true;
    }

    synchronized void release() {
      if (--holders == 0) {
        view.close();
      }
    }
  }

  /**
   * How far a range delete written in parts got: its entry, the store revision before it, how many
   * keys its parts deleted so far (also the number of its events in the history), and what is left
   * of the request (its key moved past the last key deleted).
   */
  record PartialDelete(long index, long revisionBefore, int deleted, DeleteRangeRequest request) {
    private static final int HEADER_BYTES = 2 * Long.BYTES + Integer.BYTES;

    byte[] encode() {
      byte[] body = request.toByteArray();
      return ByteBuffer.allocate(HEADER_BYTES + body.length)
          .putLong(index)
          .putLong(revisionBefore)
          .putInt(deleted)
          .put(body)
          .array();
    }

    static PartialDelete decode(byte[] value) {
      if (value.length < HEADER_BYTES) {
        throw new StorageCorruptionException(
            "kv_meta partial_delete has " + value.length + " bytes");
      }
      ByteBuffer buffer = ByteBuffer.wrap(value);
      long index = buffer.getLong();
      long before = buffer.getLong();
      int deleted = buffer.getInt();
      try {
        return new PartialDelete(
            index,
            before,
            deleted,
            DeleteRangeRequest.parseFrom(
                ByteBuffer.wrap(value, HEADER_BYTES, value.length - HEADER_BYTES)));
      } catch (InvalidProtocolBufferException e) {
        throw new StorageCorruptionException("kv_meta partial_delete does not parse", e);
      }
    }
  }

  /** Raises or clears an alarm; the revision does not change (etcd's alarms are not keys). */
  private ApplyResult applyAlarm(long index, AlarmRequest request) {
    Alarms next = alarms.after(request);
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.META, ALARMS_KEY, next.encode());
      commit(batch, index, revision);
    }
    alarms = next;
    // The caller answers from the alarms; no key-value response goes with an alarm.
    return ApplyResult.ok(index, revision, ResponseOp.getDefaultInstance());
  }

  /**
   * Drops the history before {@code request.revision}: reads and watches may name it and later
   * revisions only. The current records stay whatever their revision. The revision does not change.
   */
  private ApplyResult applyCompaction(long index, CompactionRequest request) {
    long target = request.getRevision();
    if (target > revision) {
      return reject(index, new KvException(KvError.FUTURE_REVISION));
    }
    if (target <= compactRevision) {
      return reject(index, new KvException(KvError.COMPACTED));
    }
    long stamp = publishing.writeLock(); // no reader sees the history gone and no compaction
    try {
      // Removed before the batch that records the compaction: a crash between the two replays
      // this entry, and removing again is harmless.
      engine.deleteRange(KvSpace.EVENTS, History.firstKey(0), History.firstKey(target), index);
      try (KvBatch batch = engine.newBatch()) {
        batch.put(KvSpace.META, COMPACT_REVISION_KEY, encodeLong(target));
        writeAndPublish(batch, index, revision);
      }
      compactRevision = target;
    } finally {
      publishing.unlockWrite(stamp);
    }
    // The caller answers from the revision; no key-value response goes with a compaction.
    return ApplyResult.ok(index, revision, ResponseOp.getDefaultInstance());
  }

  /**
   * Applies the committed entry at {@code index} as refused: nothing is written but the applied
   * index, and the revision stays.
   */
  public ApplyResult reject(long index, KvException error) {
    endBatch();
    checkNextIndex(index);
    long before = revision;
    try (KvBatch batch = engine.newBatch()) {
      commit(batch, index, before);
    }
    return ApplyResult.rejected(index, before, error);
  }

  /** Applies an entry with no key-value command (empty or configuration): index only. */
  public void applyEmpty(long index) {
    endBatch();
    checkNextIndex(index);
    try (KvBatch batch = engine.newBatch()) {
      commit(batch, index, revision);
    }
  }

  /**
   * Applies a configuration entry: stores its payload as the cluster's configuration, with the
   * applied index, in one batch (snapshots carry it with the data).
   */
  public void applyConfig(long index, byte[] configEntry) {
    endBatch();
    checkNextIndex(index);
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.META, CONFIG_KEY, configValue(index, configEntry));
      commit(batch, index, revision);
    }
  }

  /**
   * Records the configuration a brand-new node starts from (at index 0), so that it travels in
   * every snapshot and a node that installs one never has to guess it. Does nothing once the store
   * has applied anything or holds a configuration.
   */
  public void initConfig(byte[] configEntry) {
    endBatch();
    if (appliedIndex != 0 || appliedConfig() != null) {
      return;
    }
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.META, CONFIG_KEY, configValue(0, configEntry));
      engine.write(batch, 0);
    }
  }

  /**
   * Completes a store seeded from a backup (its keys written straight into the data space, nothing
   * applied yet): grants the backup's leases and attaches each key to its lease, takes the lease
   * off a key whose lease the backup does not hold (a version 1 backup holds none), and records the
   * revision, also as the compacted one: a backup holds no history, so reads and watches of earlier
   * revisions are refused as compacted. Written without the WAL: the caller flushes.
   *
   * @param restoredRevision the backup's revision
   * @param leaseTtls the backup's leases: id to the TTL each was granted with, in seconds
   */
  public void completeRestore(long restoredRevision, Map<Long, Long> leaseTtls) {
    endBatch();
    if (appliedIndex != 0) {
      throw new IllegalStateException("restore into a store at applied index " + appliedIndex);
    }
    RestoreBatches out = new RestoreBatches();
    leaseTtls.forEach((id, ttl) -> out.leases().grant(id, ttl));
    // Counted here and written once per lease: a lease table's reads do not see the open batch.
    Map<Long, Long> attachedBytes = new HashMap<>();
    engine
        .live()
        .scan(
            KvSpace.DATA,
            new byte[0],
            null,
            (key, position) -> {
              KeyValue kv = KeySpace.decode(key, position.value());
              if (kv.getLease() == 0) {
                return true;
              }
              if (leaseTtls.containsKey(kv.getLease())) {
                out.leases().attach(kv.getLease(), key);
                attachedBytes.merge(kv.getLease(), KvTxn.attachedSize(key.length, kv), Long::sum);
              } else {
                out.batch.put(
                    KvSpace.DATA,
                    key,
                    KeySpace.encode(kv.toBuilder().clearKey().setLease(0).build()));
              }
              out.wrote();
              return true;
            });
    // A restored lease may hold more than a write could attach (etcd has no bound): it keeps them.
    attachedBytes.forEach((id, bytes) -> out.leases().addAttachedBytes(id, bytes));
    out.batch.put(KvSpace.META, REVISION_KEY, encodeLong(restoredRevision));
    out.batch.put(KvSpace.META, COMPACT_REVISION_KEY, encodeLong(restoredRevision));
    out.write();
    reload();
  }

  /** The batches of {@link #completeRestore}, written every {@link #MAX_ENTRIES} entries. */
  private final class RestoreBatches {
    private static final int MAX_ENTRIES = 10_000;
    KvBatch batch = engine.newBatch();
    private int entries;

    LeaseTable leases() {
      return new LeaseTable(engine.live(), batch);
    }

    void wrote() {
      if (++entries >= MAX_ENTRIES) {
        write();
        batch = engine.newBatch();
        entries = 0;
      }
    }

    void write() {
      try (KvBatch written = batch) {
        engine.write(written, 0);
      }
    }
  }

  /** The configuration entry applied last, or null if none was (the bootstrap members rule). */
  public AppliedConfig appliedConfig() {
    byte[] value = engine.live().get(KvSpace.META, CONFIG_KEY);
    if (value == null) {
      return null;
    }
    if (value.length < Long.BYTES) {
      throw new IllegalStateException("kv_meta config has " + value.length + " bytes");
    }
    return new AppliedConfig(
        ByteBuffer.wrap(value, 0, Long.BYTES).getLong(),
        java.util.Arrays.copyOfRange(value, Long.BYTES, value.length));
  }

  private static byte[] configValue(long index, byte[] configEntry) {
    return ByteBuffer.allocate(Long.BYTES + configEntry.length)
        .putLong(index)
        .put(configEntry)
        .array();
  }

  /** A configuration entry's index and payload ({@code dev.ballot.raft.ConfigEntry} bytes). */
  public record AppliedConfig(long index, byte[] entry) {}

  /**
   * Reads the current state, or the state at {@code request.revision} if it is an older one not
   * compacted; see {@link KvRequests#checkRange} for what is rejected.
   */
  public RangeResponse range(RangeRequest request) throws KvException {
    KvRequests.checkRange(request);
    try (SnapshotRead read = new SnapshotRead()) {
      return RangeQuery.run(new KeySpace(read.at(request.getRevision())), request)
          .setHeader(ResponseHeader.newBuilder().setRevision(read.revision))
          .build();
    }
  }

  /**
   * Visits the changes of revisions {@code from} and later, in order, from one snapshot, until the
   * visitor says stop; returns the store revision of that snapshot (every later change has a higher
   * one). Fails with {@link KvError#COMPACTED} if {@code from} is before the compacted revision.
   */
  public long history(long from, History.EventVisitor visitor) throws KvException {
    try (SnapshotRead read = new SnapshotRead()) {
      if (from < read.compactRevision) {
        throw new KvException(KvError.COMPACTED);
      }
      History.scan(read.view, from, visitor);
      return read.revision;
    }
  }

  /**
   * Serves a txn without writes (only range ops, at any depth) from one snapshot, without going
   * through the log. The caller checks it first with {@link KvRequests#checkTxn}.
   */
  public TxnResponse readTxn(TxnRequest request) throws KvException {
    if (!KvRequests.isReadOnly(request)) {
      throw new IllegalArgumentException("txn has writes; propose it instead");
    }
    KvRequests.checkShape(Command.newBuilder().setTxn(request).build());
    try (SnapshotRead read = new SnapshotRead();
        KvTxn txn = new KvTxn(engine, read.view, read.revision, read.compactRevision, true, null)) {
      return txn.txn(request);
    }
  }

  /**
   * Hashes every key's record at {@code requestedRevision} (see {@link KvHasher}; 0 or negative:
   * the current revision) from one snapshot, and returns the hash with the revision hashed and the
   * compacted revision. The revision is checked as a range's. Scans the whole key space: call it
   * off the network threads.
   */
  public KvHash hash(long requestedRevision) throws KvException {
    try (SnapshotRead read = new SnapshotRead()) {
      KvView view = read.at(requestedRevision);
      KvHasher hasher = new KvHasher();
      new KeySpace(view)
          .scan(
              new byte[0],
              null,
              (key, position) -> {
                hasher.add(KeySpace.decode(key, position.value()));
                return true;
              });
      long hashed = requestedRevision > 0 ? requestedRevision : read.revision;
      return new KvHash(hasher.value(), hashed, read.compactRevision);
    }
  }

  private static ResponseOp execute(KvTxn txn, Command command) throws KvException {
    ResponseOp.Builder response = ResponseOp.newBuilder();
    switch (command.getOpCase()) {
      case PUT -> response.setResponsePut(txn.put(command.getPut(), true));
      case DELETE_RANGE ->
          response.setResponseDeleteRange(txn.deleteRange(command.getDeleteRange()));
      case TXN -> response.setResponseTxn(txn.txn(command.getTxn()));
        // A lease command answers with the revision after it: a grant changes no key, so it reads
        // as an empty range; a revoke deletes the lease's keys, so it reads as their delete.
      case LEASE_GRANT -> {
        txn.grantLease(command.getLeaseGrant());
        response.setResponseRange(
            RangeResponse.newBuilder().setHeader(txnHeader(txn.revisionAfter())));
      }
      case LEASE_REVOKE -> {
        long deleted = txn.revokeLease(command.getLeaseRevoke());
        response.setResponseDeleteRange(
            DeleteRangeResponse.newBuilder()
                .setHeader(txnHeader(txn.revisionAfter()))
                .setDeleted(deleted));
      }
      case OP_NOT_SET -> throw new KvException(KvError.MALFORMED_REQUEST);
    }
    return response.build();
  }

  private static ResponseHeader txnHeader(long revision) {
    return ResponseHeader.newBuilder().setRevision(revision).build();
  }

  /** Every lease that exists, in the order of its stored id. */
  public List<Lease> leases() {
    try (SnapshotRead read = new SnapshotRead()) {
      return new LeaseTable(read.view, null).all();
    }
  }

  /** The lease {@code id} as applied here, or null if it does not exist. */
  public Lease lease(long id) {
    try (SnapshotRead read = new SnapshotRead()) {
      long ttl = new LeaseTable(read.view, null).grantedTtlSeconds(id);
      return ttl == 0 ? null : new Lease(id, ttl);
    }
  }

  /**
   * The bytes of keys and values attached to lease {@code id} (what its revoke deletes), as counted
   * against {@link KvError#LEASE_TOO_LARGE}'s bound.
   */
  public long leaseBytes(long id) {
    try (SnapshotRead read = new SnapshotRead()) {
      return new LeaseTable(read.view, null).attachedBytes(id);
    }
  }

  /** The keys attached to lease {@code id}, in key order (none if it does not exist). */
  public List<byte[]> leaseKeys(long id) {
    try (SnapshotRead read = new SnapshotRead()) {
      return new LeaseTable(read.view, null).keys(id);
    }
  }

  private void checkNextIndex(long index) {
    long applied = open == null ? appliedIndex : open.index;
    if (index != applied + 1) {
      throw new IllegalStateException(
          "entries apply once and in order: index=" + index + " appliedIndex=" + applied);
    }
  }

  /**
   * Adds the new applied index and revision to {@code batch} and writes it. A failed write stops
   * the node ({@link DiskFailureException}, {@link StorageCorruptionException}).
   */
  private void commit(KvBatch batch, long index, long newRevision) {
    long stamp = publishing.writeLock();
    try {
      writeAndPublish(batch, index, newRevision);
    } finally {
      publishing.unlockWrite(stamp);
    }
  }

  /** {@link #commit} for a caller that holds {@link #publishing} already. */
  private void writeAndPublish(KvBatch batch, long index, long newRevision) {
    batch.put(KvSpace.META, APPLIED_INDEX_KEY, encodeLong(index));
    batch.put(KvSpace.META, REVISION_KEY, encodeLong(newRevision));
    engine.write(batch, index);
    SharedView frozen = beforeParts;
    if (frozen != null) { // the last part of a range delete: reads see the state after it now
      beforeParts = null;
      frozen.release();
    }
    revision = newRevision;
    appliedIndex = index;
  }

  private static long readLong(KvView view, byte[] key, long absent) {
    byte[] value = view.get(KvSpace.META, key);
    if (value == null) {
      return absent;
    }
    if (value.length != Long.BYTES) {
      throw new StorageCorruptionException(
          "kv_meta " + new String(key, UTF_8) + " has " + value.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(value).getLong();
  }

  private static byte[] encodeLong(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  /** A snapshot of the engine and the revisions stored in it. */
  private final class SnapshotRead implements AutoCloseable {
    final KvView view;
    final long revision;
    final long compactRevision;

    /** What it holds: its own snapshot, or a hold of the shared one; let go of when closed. */
    private final SharedView held;

    /**
     * Holds off snapshot installs until closed, and sees one snapshot meanwhile. Its revisions are
     * the store's fields, read with the snapshot while no write was being published (reading them
     * from the snapshot cost two engine reads per read); if one was, the snapshot is taken again
     * while none is. While a range delete is written in parts, it shares the snapshot of the state
     * before the delete ({@link #beforeParts}).
     */
    SnapshotRead() {
      installLock.readLock().lock();
      SharedView taken = null;
      try {
        long stamp = publishing.tryOptimisticRead();
        taken = holdBeforeParts();
        if (taken == null) {
          taken = ownSnapshot();
          if (!publishing.validate(stamp)) {
            taken.release();
            taken = null;
            stamp = publishing.readLock();
            try {
              taken = holdBeforeParts();
              if (taken == null) {
                taken = ownSnapshot();
              }
            } finally {
              publishing.unlockRead(stamp);
            }
          }
        }
      } catch (RuntimeException e) {
        if (taken != null) {
          taken.release();
        }
        installLock.readLock().unlock();
        throw e;
      }
      view = taken.view;
      revision = taken.revision;
      compactRevision = taken.compactRevision;
      held = taken;
    }

    /** A hold of the state before a delete in parts, if one is being written; else null. */
    private SharedView holdBeforeParts() {
      SharedView frozen = beforeParts;
      return frozen != null && frozen.hold() ? frozen : null;
    }

    /** A snapshot for this read alone, with the revisions as the fields say now. */
    private SharedView ownSnapshot() {
      return new SharedView(engine.snapshot(), KvStore.this.revision, KvStore.this.compactRevision);
    }

    /** The key space at {@code requested} (0 or less: now), checked as a range's revision. */
    KvView at(long requested) throws KvException {
      RangeQuery.checkRevision(requested, revision, compactRevision);
      return requested <= 0 || requested == revision ? view : new RevisionView(view, requested);
    }

    @Override
    public void close() {
      held.release();
      installLock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    SharedView frozen = beforeParts; // a delete in parts that failed: the node stops
    if (frozen != null) {
      beforeParts = null;
      frozen.release();
    }
    engine.close();
  }
}
