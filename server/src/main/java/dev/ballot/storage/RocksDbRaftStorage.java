package dev.ballot.storage;

import static dev.ballot.storage.LogEntryCodec.key;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.FlushOptions;
import org.rocksdb.LevelMetaData;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Priority;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.SstFileMetaData;
import org.rocksdb.Statistics;
import org.rocksdb.Status;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raft storage beside the node's one RocksDB instance. The log, the hard state and the snapshot
 * meta live in segment files of their own ({@link SegmentedLog}, in the folder {@value #LOG_DIR}
 * inside the instance's); the column family {@code raft_meta} keeps the node's identity and
 * markers; the state machine's families ({@link KvFamilies}) are created here, and it shares the
 * instance through {@link #db()}. The family {@code raft_log} held the log in earlier versions, and
 * {@code kv_meta} the history: such a node's log and events are moved out on its first open.
 *
 * <p>Not thread-safe: one thread at a time calls its methods (the driver thread, or the apply
 * thread installing a snapshot while the driver waits for it), except {@link #compact}, which may
 * run on a background thread beside it, and the methods that say they are safe beside the owner
 * (size measurements, {@link #mergeHistoryFiles}).
 */
public final class RocksDbRaftStorage implements RaftStorage {
  private static final Logger log = LoggerFactory.getLogger(RocksDbRaftStorage.class);

  static final String RAFT_META = "raft_meta";
  static final String RAFT_LOG = "raft_log";
  static final String KV_DATA = "kv_data";
  static final String KV_META = "kv_meta";
  static final String KV_EVENTS = "kv_events";

  /** The folder of the log's segment files, inside the RocksDB instance's folder. */
  public static final String LOG_DIR = "raft-log";

  private static final List<byte[]> FAMILIES =
      List.of(
          RocksDB.DEFAULT_COLUMN_FAMILY,
          RAFT_META.getBytes(UTF_8),
          RAFT_LOG.getBytes(UTF_8),
          KV_DATA.getBytes(UTF_8),
          KV_META.getBytes(UTF_8),
          KV_EVENTS.getBytes(UTF_8));

  /**
   * The size at which a family's memtable is flushed: RocksDB's default is 64 MiB. A snapshot
   * flushes every family (every 10,000 entries by default, a few MiB), so the memtables seldom
   * reach even this; but each memtable allocates its bloom filter (a tenth of this size) up front,
   * for every family at once, which at 64 MiB cost about 25 MiB of every node's memory.
   */
  static final long WRITE_BUFFER_BYTES = 16L << 20;

  /**
   * The size of a data block in the families of current records and metadata (RocksDB's default is
   * 4 KiB). A range delete reads every record it removes, and with values of 1 KiB a 4 KiB block
   * holds three: deleting 250,000 of them read 80,000 blocks, each a read, a checksum and a cache
   * insertion, a quarter of the apply thread's time. At 16 KiB the delete took about a fifth less
   * CPU ({@code scripts/bench-delete.sh}, docs/performance.md); a point read that misses the block
   * cache reads 16 KiB instead of 4, and the record cache and the bloom filters keep most puts from
   * reading any block.
   */
  static final long DATA_BLOCK_BYTES = 16L << 10;

  /**
   * The size at which RocksDB starts a new MANIFEST (the record of every flush and compaction),
   * writing only the current file set into it. RocksDB's default is 1 GiB, and every snapshot
   * copies the MANIFEST into its checkpoint and reads it through when it opens the checkpoint: with
   * a snapshot every few seconds, one that grew for hours made each take slower than the last.
   */
  static final long MAX_MANIFEST_BYTES = 4L << 20;

  private static final byte[] HARD_STATE_KEY = "hard_state".getBytes(UTF_8);
  private static final byte[] SNAPSHOT_META_KEY = "snapshot_meta".getBytes(UTF_8);
  private static final byte[] IDENTITY_KEY = "identity".getBytes(UTF_8);
  private static final byte[] BOOTSTRAP_ID_KEY = "bootstrap_temp_id".getBytes(UTF_8);

  /**
   * Kept under the key where earlier versions read the hard state: it fails their checksum, so an
   * earlier version started on this data refuses it as corrupt instead of starting with term 0 and
   * no vote, which could vote twice in a term.
   */
  static final byte[] MOVED_MARKER =
      "the hard state and log are in the raft-log folder".getBytes(UTF_8);

  // Bounds that cover every valid log key (indexes are positive).
  private static final byte[] LOG_START = key(0);
  private static final byte[] LOG_END = key(Long.MAX_VALUE);

  static {
    RocksDbLibrary.load();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final RocksDbLog rocksLog;
  private final ColumnFamilyOptions familyOptions;
  private final ColumnFamilyOptions logOptions;
  private final ColumnFamilyOptions eventsOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle raftMeta;
  private final ColumnFamilyHandle raftLog;
  private final KvFamilies kvFamilies;
  private final WriteOptions syncWrite = new WriteOptions().setSync(true);
  private final WriteOptions asyncWrite = new WriteOptions();
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Held for reading by the size measurements other threads make ({@link #liveFiles}, {@link
   * #reclaimableBytes}) and for writing by {@link #close}, so that a measurement never calls into
   * an instance being closed (a freed native handle crashes the process instead of throwing).
   */
  private final ReentrantReadWriteLock measuring = new ReentrantReadWriteLock();

  /**
   * How {@link #mergeHistoryFiles} compacts: the last level too (its files are the ones merged),
   * beside RocksDB's own compactions; {@link #close} cancels it. The cancel flag is attached here:
   * RocksDB reads where it is when a compaction starts, so one attached later would not reach a
   * merge already running.
   */
  private final CompactRangeOptions merging =
      new CompactRangeOptions()
          .setCanceled(false)
          .setBottommostLevelCompaction(
              CompactRangeOptions.BottommostLevelCompaction.kForceOptimized)
          .setExclusiveManualCompaction(false)
          .setMaxSubcompactions(1);

  /** The log, set once by {@link #open} after the instance. */
  private SegmentedLog logFiles;

  private RocksDbRaftStorage(
      Path dir,
      DBOptions dbOptions,
      RocksDbLog rocksLog,
      ColumnFamilyOptions familyOptions,
      ColumnFamilyOptions logOptions,
      ColumnFamilyOptions eventsOptions,
      RocksDB db,
      List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.rocksLog = rocksLog;
    this.familyOptions = familyOptions;
    this.logOptions = logOptions;
    this.eventsOptions = eventsOptions;
    this.db = db;
    this.handles = List.copyOf(handles);
    // RocksDB returns the handles in the order of FAMILIES.
    this.raftMeta = handles.get(1);
    this.raftLog = handles.get(2);
    this.kvFamilies = new KvFamilies(handles.get(3), handles.get(4), handles.get(5));
  }

  /** Opens the instance in {@code dir}, creating it and any missing column family. */
  public static RocksDbRaftStorage open(Path dir) {
    return open(dir, null);
  }

  /**
   * Opens a RocksDB checkpoint of an instance for its key-value families (a backup reads one). A
   * checkpoint holds no Raft log, and none is opened: the log's methods throw.
   */
  public static RocksDbRaftStorage openCopy(Path dir) {
    return open(dir, null, false, MAX_MANIFEST_BYTES);
  }

  /** As {@link #open(Path)}, recording RocksDB statistics into {@code statistics} if not null. */
  static RocksDbRaftStorage open(Path dir, Statistics statistics) {
    return open(dir, statistics, true, MAX_MANIFEST_BYTES);
  }

  /** As {@link #open(Path)}, starting a new MANIFEST past {@code maxManifestBytes}. */
  static RocksDbRaftStorage open(Path dir, long maxManifestBytes) {
    return open(dir, null, true, maxManifestBytes);
  }

  private static RocksDbRaftStorage open(
      Path dir, Statistics statistics, boolean withLog, long maxManifestBytes) {
    RocksDbLog rocksLog = new RocksDbLog();
    DBOptions dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setKeepLogFileNum(4)
            // A damaged WAL record stops the open instead of silently ending recovery there (the
            // default, point-in-time, would drop synced entries after it); only an incomplete
            // record at the very end, a write torn by a crash, is tolerated.
            .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords)
            .setParanoidChecks(true)
            // The kv families are written without the WAL (RocksKvEngine): a flush must persist
            // every family at one point, so the applied index never runs ahead of its data.
            .setAtomicFlush(true)
            .setMaxManifestFileSize(maxManifestBytes)
            .setLogger(rocksLog);
    if (statistics != null) {
      dbOptions.setStatistics(statistics);
    }
    // Compactions yield the CPU to the node's other threads: after a burst of writes they catch
    // up for seconds with a core and more, and the apply thread, which every answer waits for, got
    // a third of a core (docs/performance.md, item 23). Flushes keep their priority: a flush that
    // falls behind stops writes. Process-wide (RocksDB's default environment).
    Env.getDefault().lowerThreadPoolCPUPriority(Priority.LOW);
    // Every put reads its key's current record first (kv_data), from the memtable or one of the
    // SST files: bloom filters, on the files and on the memtable, skip the places it is not in.
    ColumnFamilyOptions familyOptions =
        new ColumnFamilyOptions()
            .setWriteBufferSize(WRITE_BUFFER_BYTES)
            .setMemtablePrefixBloomSizeRatio(0.1)
            .setMemtableWholeKeyFiltering(true);
    try (BloomFilter bloom = new BloomFilter(10)) {
      familyOptions.setTableFormatConfig(
          new BlockBasedTableConfig().setFilterPolicy(bloom).setBlockSize(DATA_BLOCK_BYTES));
    }
    // Log entries live until the next compaction deletes them: compressing them on flush is CPU
    // spent on data about to be dropped.
    ColumnFamilyOptions logOptions =
        new ColumnFamilyOptions()
            .setWriteBufferSize(WRITE_BUFFER_BYTES)
            .setCompressionType(CompressionType.NO_COMPRESSION);
    // kv_events holds the history, appended in revision order and read by ranges of revisions
    // (watches catching up, reads of old revisions): no bloom filters. Its level-0 files do not
    // overlap one another or the levels below, so compactions move them down without rewriting
    // (KvFamilies).
    ColumnFamilyOptions eventsOptions =
        new ColumnFamilyOptions().setWriteBufferSize(WRITE_BUFFER_BYTES);
    List<ColumnFamilyDescriptor> descriptors =
        FAMILIES.stream()
            .map(
                name ->
                    new ColumnFamilyDescriptor(
                        name,
                        switch (new String(name, UTF_8)) {
                          case RAFT_LOG -> logOptions;
                          case KV_EVENTS -> eventsOptions;
                          default -> familyOptions;
                        }))
            .toList();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db;
    try {
      Files.createDirectories(dir);
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException | IOException e) {
      handles.forEach(ColumnFamilyHandle::close);
      familyOptions.close();
      logOptions.close();
      eventsOptions.close();
      dbOptions.close();
      rocksLog.close();
      if (e instanceof RocksDBException r
          && r.getStatus() != null
          && r.getStatus().getCode() == Status.Code.Corruption) {
        throw new StorageCorruptionException(
            "raft storage at "
                + dir
                + " is corrupt: "
                + e.getMessage()
                + " (RocksDB's log, logger org.rocksdb, names the damaged file)",
            e);
      }
      throw new UncheckedIOException(new IOException("cannot open raft storage at " + dir, e));
    }
    RocksDbRaftStorage storage =
        new RocksDbRaftStorage(
            dir, dbOptions, rocksLog, familyOptions, logOptions, eventsOptions, db, handles);
    try {
      storage.verifyChecksums();
      storage.moveEventsOutOfMeta();
      storage.logFiles = withLog ? storage.openLog() : null;
    } catch (RuntimeException e) {
      storage.close();
      throw e;
    }
    log.info(
        "raft storage opened dir={} lastLogIndex={}",
        dir,
        withLog ? storage.logFiles.lastIndex() : "none (a copy)");
    return storage;
  }

  /**
   * Reads every SST file once and checks its block checksums, so that damage anywhere (the state
   * machine's data too, which start-up does not otherwise read) stops the node before it serves. It
   * costs one read of the database per start.
   */
  private void verifyChecksums() {
    long startNanos = System.nanoTime();
    try {
      db.verifyChecksum();
    } catch (RocksDBException e) {
      throw failure("checksum verification", e);
    }
    log.info(
        "checksums verified dir={} tookMs={}",
        dir,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  /**
   * Moves the history of a storage written by an earlier version, which kept it in {@code kv_meta},
   * into {@code kv_events}, keys and values unchanged: at open, and after a snapshot install (a
   * snapshot staged by an earlier version has its events in its {@code kv_meta} file). The copies
   * are flushed before the originals are deleted, and a crash at any point leaves events in {@code
   * kv_meta} for the next open to move again (copying an event twice writes the same bytes); the
   * deleted range is then compacted, so the disk holds the history once again before the node
   * serves. It needs free space for a second copy of the history meanwhile. Nothing to do, one
   * seek, once moved.
   */
  void moveEventsOutOfMeta() {
    byte[] from = {(byte) KvFamilies.EVENTS_PREFIX};
    byte[] to = {(byte) (KvFamilies.EVENTS_PREFIX + 1)};
    long startNanos = System.nanoTime();
    long moved = 0;
    try (WriteOptions unsynced = new WriteOptions().setDisableWAL(true);
        Slice upper = new Slice(to);
        ReadOptions bounded = new ReadOptions().setIterateUpperBound(upper);
        RocksIterator it = db.newIterator(kvFamilies.meta(), bounded)) {
      it.seek(from);
      if (!it.isValid()) {
        it.status();
        return;
      }
      WriteBatch batch = new WriteBatch();
      try {
        for (; it.isValid(); it.next()) {
          batch.put(kvFamilies.events(), it.key(), it.value());
          moved++;
          if (batch.getDataSize() >= 4 << 20) {
            db.write(unsynced, batch);
            batch.close();
            batch = new WriteBatch();
          }
        }
        it.status();
        db.write(unsynced, batch);
      } finally {
        batch.close();
      }
      CrashPoints.hit(CrashPoints.EVENTS_MOVE_AFTER_COPY);
      // The store writes without the WAL: the copies are on disk only once flushed.
      flushAll();
      CrashPoints.hit(CrashPoints.EVENTS_MOVE_AFTER_FLUSH);
      db.deleteRange(kvFamilies.meta(), unsynced, from, to);
      CrashPoints.hit(CrashPoints.EVENTS_MOVE_AFTER_DELETE);
      flushAll();
      // kv_meta is small now, and its own compactions might not reach the range for long.
      db.compactRange(kvFamilies.meta(), from, to);
    } catch (RocksDBException e) {
      throw failure("move of the history to " + KV_EVENTS, e);
    }
    log.info(
        "history moved from {} to {} dir={} events={} tookMs={}",
        KV_META,
        KV_EVENTS,
        dir,
        moved,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
  }

  private void flushAll() throws RocksDBException {
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
    }
  }

  /** The shared instance, for the state machine's column families. */
  public RocksDB db() {
    return db;
  }

  /** The state machine's column families. */
  public KvFamilies kvFamilies() {
    return kvFamilies;
  }

  ColumnFamilyHandle raftMetaFamily() {
    return raftMeta;
  }

  ColumnFamilyHandle raftLogFamily() {
    return raftLog;
  }

  @Override
  public RestoredState load() {
    checkOpen();
    RestoredState restored = logFiles().load();
    log.info(
        "raft storage loaded dir={} term={} commitIndex={} snapshotIndex={} lastIndex={}",
        dir,
        restored.hardState().term(),
        restored.hardState().commitIndex(),
        restored.appliedIndex(),
        restored.appliedIndex() + restored.entries().size());
    return restored;
  }

  @Override
  public List<Entry> read(long lo, long hi, long maxBytes) {
    checkOpen();
    return logFiles().read(lo, hi, maxBytes);
  }

  /**
   * Opens the log's segment files. A storage written by an older version keeps its log in the
   * {@code raft_log} family and its hard state and snapshot meta in {@code raft_meta}: they are
   * copied into a new log (which appears whole or not at all), then deleted from RocksDB.
   */
  private SegmentedLog openLog() {
    Path logDir = dir.resolve(LOG_DIR);
    try {
      byte[] storedHardState = get(HARD_STATE_KEY);
      boolean moved = java.util.Arrays.equals(storedHardState, MOVED_MARKER);
      if (moved && !SegmentedLog.exists(logDir)) {
        throw new StorageCorruptionException(
            "the raft log folder " + logDir + " is missing: its hard state and entries are gone");
      }
      if (!moved && SegmentedLog.exists(logDir) && storedHardState != null) {
        // A move that a crash interrupted before RocksDB's copy was replaced (an earlier version
        // may even have run on it since): RocksDB's copy is the one to keep.
        log.warn("raft log folder from an unfinished move, moving again dir={}", logDir);
        SegmentedLog.deleteTree(logDir);
      }
      if (!SegmentedLog.exists(logDir)) {
        RestoredState old = loadFromRocksDb();
        SegmentedLog.create(
            logDir, old.hardState(), old.snapshot(), old.entries(), SegmentedLog.SEGMENT_BYTES);
        if (old.snapshot() != null || !old.entries().isEmpty() || old.hardState().term() > 0) {
          log.info(
              "raft log moved out of RocksDB into segment files dir={} entries={}",
              logDir,
              old.entries().size());
        }
      }
      dropRocksDbLog();
    } catch (IOException e) {
      throw new DiskFailureException("raft log creation", logDir, e);
    }
    return SegmentedLog.open(logDir, SegmentedLog.SEGMENT_BYTES);
  }

  /** What an older version stored in RocksDB: hard state, snapshot meta, the entries after it. */
  private RestoredState loadFromRocksDb() {
    byte[] hardStateValue = get(HARD_STATE_KEY);
    HardState hardState =
        hardStateValue == null ? HardState.EMPTY : MetaCodec.decodeHardState(hardStateValue);
    byte[] snapshotValue = get(SNAPSHOT_META_KEY);
    SnapshotMeta snapshot =
        snapshotValue == null ? null : MetaCodec.decodeSnapshotMeta(snapshotValue);
    long snapshotIndex = snapshot == null ? 0 : snapshot.index();
    List<Entry> entries = new ArrayList<>();
    scanLog(snapshotIndex + 1, Long.MAX_VALUE, entries::add);
    return new RestoredState(hardState, snapshot, entries, snapshotIndex);
  }

  /**
   * Deletes what an older version kept of the log in RocksDB, if anything is left, and leaves
   * {@link #MOVED_MARKER} in its place.
   */
  private void dropRocksDbLog() {
    try (RocksIterator it = db.newIterator(raftLog)) {
      it.seekToFirst();
      boolean entriesLeft = it.isValid();
      it.status();
      if (!entriesLeft
          && java.util.Arrays.equals(get(HARD_STATE_KEY), MOVED_MARKER)
          && get(SNAPSHOT_META_KEY) == null) {
        return;
      }
      try (WriteBatch batch = new WriteBatch()) {
        batch.deleteRange(raftLog, LOG_START, LOG_END);
        batch.put(raftMeta, HARD_STATE_KEY, MOVED_MARKER);
        batch.delete(raftMeta, SNAPSHOT_META_KEY);
        db.write(syncWrite, batch);
      }
      if (entriesLeft) {
        db.compactRange(raftLog);
      }
    } catch (RocksDBException e) {
      throw failure("old log removal", e);
    }
  }

  /**
   * Visits the entries stored by an older version from {@code from} on, below {@code to}, checking
   * each one's checksum and that none is missing.
   */
  private void scanLog(long from, long to, java.util.function.Consumer<Entry> visitor) {
    long expected = from;
    try (RocksIterator it = db.newIterator(raftLog)) {
      for (it.seek(key(from)); it.isValid() && expected < to; it.next()) {
        long index = logIndex(it.key());
        if (index != expected) {
          throw new StorageCorruptionException(
              "raft log entry " + expected + " is missing: the next stored entry is " + index);
        }
        visitor.accept(LogEntryCodec.decode(index, it.value()));
        expected++;
      }
      it.status();
    } catch (RocksDBException e) {
      throw failure("log read", e);
    }
  }

  @Override
  public void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync) {
    checkOpen();
    logFiles().save(snapshot, entries, hardState, sync);
    if (snapshot != null) {
      log.info(
          "raft log replaced by snapshot dir={} index={} term={}",
          dir,
          snapshot.index(),
          snapshot.term());
    }
  }

  @Override
  public void saveSnapshotMeta(SnapshotMeta snapshot) {
    checkOpen();
    if (logFiles().saveSnapshotMeta(snapshot)) {
      log.info(
          "snapshot meta saved dir={} index={} term={}", dir, snapshot.index(), snapshot.term());
    } else {
      log.debug("snapshot meta not newer index={}", snapshot.index());
    }
  }

  @Override
  public void compact(long index) {
    checkOpen();
    if (index < 0) {
      throw new IllegalArgumentException("negative compaction index " + index);
    }
    logFiles().compact(index);
    log.info("raft log compacted dir={} throughIndex={}", dir, index);
  }

  /**
   * Flushes every memtable and compacts every column family, so the space of deleted keys, of
   * compacted log entries and of old WAL files is given back now rather than at RocksDB's next
   * compaction (what etcd's defragment does for bbolt). Safe beside the owner: it touches no state
   * of this class.
   */
  public void compactAll() {
    checkOpen();
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
      for (ColumnFamilyHandle family : handles) {
        db.compactRange(family);
      }
    } catch (RocksDBException e) {
      throw failure("compaction", e);
    }
    log.info("storage compacted dir={}", dir);
  }

  /**
   * The bytes of SST files that hold no live data, by RocksDB's estimate over every column family:
   * {@code rocksdb.total-sst-files-size} minus {@code rocksdb.estimate-live-data-size}, the space
   * of deleted, overwritten and compacted-away data that a full compaction (a defragment) would
   * give back. Safe beside the owner.
   */
  public long reclaimableBytes() {
    measuring.readLock().lock();
    long bytes = 0;
    try {
      checkOpen();
      for (ColumnFamilyHandle family : handles) {
        long total = db.getLongProperty(family, "rocksdb.total-sst-files-size");
        long live = db.getLongProperty(family, "rocksdb.estimate-live-data-size");
        // An estimate: it can exceed the files it is taken from, which then reclaim nothing.
        bytes += Math.max(0, total - live);
      }
    } catch (RocksDBException e) {
      throw failure("size estimate", e);
    } finally {
      measuring.readLock().unlock();
    }
    return bytes;
  }

  /**
   * The files that hold the instance's current state (see {@link LiveFiles}), for measuring its
   * size without a compaction's or a flush's files counted twice. Safe beside the owner.
   */
  public LiveFiles liveFiles() {
    measuring.readLock().lock();
    try {
      checkOpen();
      Set<String> sst = new HashSet<>();
      for (LiveFileMetaData file : db.getLiveFilesMetaData()) {
        String name = file.fileName();
        sst.add(name.startsWith("/") ? name.substring(1) : name);
      }
      return new LiveFiles(sst, db.getLongProperty("rocksdb.min-log-number-to-keep"));
    } catch (RocksDBException e) {
      throw failure("live files", e);
    } finally {
      measuring.readLock().unlock();
    }
  }

  /**
   * Merges the oldest run of the history's small files if one is due ({@link HistoryFiles}), in
   * RocksDB's compaction threads (at their low priority) while the caller waits; returns the number
   * of files merged, 0 if none was due or {@link #close} cancelled the merge. Safe beside the
   * owner: a compaction changes no key, and a checkpoint taken meanwhile holds the files before or
   * after.
   */
  public int mergeHistoryFiles() {
    return mergeHistoryFiles(HistoryFiles.MERGE_BYTES, HistoryFiles.MAX_RUN_FILES);
  }

  /** Cancels a merge in progress and every later one (before a close). */
  public void cancelHistoryMerges() {
    measuring.readLock().lock(); // the options are freed under the write lock
    try {
      if (!closed.get()) { // else close() cancelled them
        merging.setCanceled(true);
      }
    } finally {
      measuring.readLock().unlock();
    }
  }

  int mergeHistoryFiles(long mergeBytes, int maxRunFiles) {
    ColumnFamilyHandle events = kvFamilies.events();
    if (!kvFamilies.eventsApart()) {
      return 0; // an older layout whose history shares kv_meta: RocksDB compacts it as usual
    }
    measuring.readLock().lock();
    try {
      checkOpen();
      if (merging.canceled()) {
        return 0;
      }
      List<HistoryFiles.File> files = new ArrayList<>();
      for (LevelMetaData level : db.getColumnFamilyMetaData(events).levels()) {
        for (SstFileMetaData file : level.files()) {
          files.add(
              new HistoryFiles.File(
                  level.level(), file.smallestKey(), file.largestKey(), file.size()));
        }
      }
      HistoryFiles.Run run =
          HistoryFiles.due(files, db.numberLevels(events) - 1, mergeBytes, maxRunFiles);
      if (run == null) {
        return 0;
      }
      long startNanos = System.nanoTime();
      try {
        db.compactRange(events, run.first(), run.last(), merging);
      } catch (RocksDBException e) {
        if (merging.canceled()) {
          return 0; // closing
        }
        throw failure("history merge", e);
      }
      log.info(
          "history files merged dir={} files={} bytes={} took_ms={}",
          dir,
          run.files(),
          run.bytes(),
          (System.nanoTime() - startNanos) / 1_000_000);
      return run.files();
    } finally {
      measuring.readLock().unlock();
    }
  }

  /** How many entries the stored log holds (compacted ones excluded). */
  public long countLogEntries() {
    checkOpen();
    return logFiles().entryCount();
  }

  /** The node's identity as last written by {@link #writeIdentity}, or null on a new node. */
  public byte[] readIdentity() {
    checkOpen();
    try {
      return db.get(raftMeta, IDENTITY_KEY);
    } catch (RocksDBException e) {
      throw failure("identity read", e);
    }
  }

  /**
   * The random temporary id this node uses for discovery, drawn once by {@code newId} and kept, so
   * a node restarted during discovery answers with the id its peers may already have counted.
   */
  public long bootstrapId(java.util.function.LongSupplier newId) {
    checkOpen();
    try {
      byte[] stored = db.get(raftMeta, BOOTSTRAP_ID_KEY);
      if (stored != null) {
        return java.nio.ByteBuffer.wrap(stored).getLong();
      }
      long id = newId.getAsLong();
      db.put(
          raftMeta,
          syncWrite,
          BOOTSTRAP_ID_KEY,
          java.nio.ByteBuffer.allocate(8).putLong(id).array());
      return id;
    } catch (RocksDBException e) {
      throw failure("bootstrap id", e);
    }
  }

  /** Persists the node's identity (its id, cluster id and members), synced. */
  public void writeIdentity(byte[] identity) {
    checkOpen();
    try {
      db.put(raftMeta, syncWrite, IDENTITY_KEY, identity);
    } catch (RocksDBException e) {
      throw failure("identity write", e);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (logFiles != null) {
      logFiles().close();
    }
    RocksDBException failure = null;
    merging.setCanceled(true); // a merge in progress gives up, so the lock below is not held long
    measuring.writeLock().lock();
    try {
      // Handles must go before the instance, options after it.
      handles.forEach(ColumnFamilyHandle::close);
      db.closeE();
    } catch (RocksDBException e) {
      failure = e;
    } finally {
      measuring.writeLock().unlock();
    }
    syncWrite.close();
    asyncWrite.close();
    merging.close();
    familyOptions.close();
    logOptions.close();
    eventsOptions.close();
    dbOptions.close();
    rocksLog.close();
    if (failure != null) {
      throw failure("close", failure);
    }
    log.info("raft storage closed dir={}", dir);
  }

  private static long logIndex(byte[] key) {
    long index = key.length == LogEntryCodec.KEY_BYTES ? LogEntryCodec.index(key) : -1;
    if (index < 1) {
      throw new StorageCorruptionException(
          "raft log holds a corrupt key of " + key.length + " bytes (index " + index + ")");
    }
    return index;
  }

  /**
   * The index of the newest recorded snapshot, 0 if none. Safe from any thread while the storage is
   * open, for status endpoints.
   */
  public long snapshotIndex() {
    SnapshotMeta snapshot = logFiles().snapshot();
    return snapshot == null ? 0 : snapshot.index();
  }

  private byte[] get(byte[] metaKey) {
    try {
      return db.get(raftMeta, metaKey);
    } catch (RocksDBException e) {
      throw failure("meta read", e);
    }
  }

  private SegmentedLog logFiles() {
    if (logFiles == null) {
      throw new IllegalStateException("raft storage at " + dir + " is a copy without a raft log");
    }
    return logFiles;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("raft storage at " + dir + " is closed");
    }
  }

  /** RocksDB's own checksums failing is corruption too; anything else is an I/O failure. */
  private RuntimeException failure(String what, RocksDBException e) {
    Status status = e.getStatus();
    if (status != null && status.getCode() == Status.Code.Corruption) {
      String message = "raft storage " + what + " failed at " + dir + ": " + e.getMessage();
      return new StorageCorruptionException(message, e);
    }
    return new DiskFailureException("raft storage " + what, dir, e);
  }
}
