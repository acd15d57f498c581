package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Swaps a staged snapshot (see {@link SnapshotStager}) into the live database, crash-safely:
 *
 * <ol>
 *   <li>a synced marker in raft_meta names the staged folder;
 *   <li>kv_data, kv_meta and kv_events are emptied with range deletes and the staged SST files
 *       ingested (the staged files are copied, so the step can be redone); events that a snapshot
 *       staged by an earlier version ingested into kv_meta are moved to kv_events;
 *   <li>the Raft log is replaced by the snapshot's metadata (synced: this also makes step 2's range
 *       deletes durable, the ingested files being durable already);
 *   <li>a local snapshot (checkpoint) at the installed index is taken, so that this node can send
 *       the state on when it leads, whatever crash came before (the log before the index is gone);
 *   <li>the marker is deleted, synced.
 * </ol>
 *
 * A crash before step 1 leaves the old state; after it, {@link #recover} at start-up redoes steps
 * 2-4 from the staged folder (every step is idempotent) before anything reads the state.
 */
public final class SnapshotInstaller {
  private static final Logger log = LoggerFactory.getLogger(SnapshotInstaller.class);
  static final byte[] INSTALL_MARKER_KEY = "snapshot_install".getBytes(UTF_8);

  private final RocksDbRaftStorage storage;
  private final SnapshotDir dir;

  public SnapshotInstaller(RocksDbRaftStorage storage, SnapshotDir dir) {
    this.storage = storage;
    this.dir = dir;
  }

  /** Installs the snapshot staged in {@code staged}; returns what it holds. */
  public SnapshotInfo install(Path staged) {
    SnapshotInfo info = SnapshotDir.readInfo(staged);
    put(INSTALL_MARKER_KEY, staged.getFileName().toString().getBytes(UTF_8));
    CrashPoints.hit(CrashPoints.INSTALL_AFTER_MARKER);
    finish(staged, info);
    return info;
  }

  /**
   * Redoes an install that a crash interrupted, if the marker says one was under way.
   *
   * @return what was installed, or null if nothing was pending
   */
  public SnapshotInfo recover() {
    byte[] marker;
    try {
      marker = storage.db().get(storage.raftMetaFamily(), INSTALL_MARKER_KEY);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("install marker read failed", e));
    }
    if (marker == null) {
      dir.deleteStaged(Long.MAX_VALUE, null);
      return null;
    }
    Path staged = dir.path().resolve(new String(marker, UTF_8));
    if (!Files.isDirectory(staged)) {
      throw new StorageCorruptionException(
          "an interrupted snapshot install names " + staged + ", which is missing");
    }
    SnapshotInfo info = SnapshotDir.readInfo(staged);
    log.warn(
        "redoing interrupted snapshot install index={} term={} staged={}",
        info.meta().index(),
        info.meta().term(),
        staged);
    finish(staged, info);
    return info;
  }

  /** Steps 2-5; deleting the staged folders (step 6) follows. Visible to tests to crash between. */
  void finish(Path staged, SnapshotInfo info) {
    replaceKv(staged);
    CrashPoints.hit(CrashPoints.INSTALL_AFTER_INGEST);
    storage.save(info.meta(), List.of(), null, true);
    CrashPoints.hit(CrashPoints.INSTALL_AFTER_LOG_REPLACED);
    dir.take(storage.db(), info); // does nothing if a crash came after it
    delete(INSTALL_MARKER_KEY);
    dir.deleteStaged(info.meta().index(), null);
    log.info(
        "snapshot installed index={} term={} revision={}",
        info.meta().index(),
        info.meta().term(),
        info.revision());
  }

  void replaceKv(Path staged) {
    RocksDB db = storage.db();
    try (IngestExternalFileOptions ingest = new IngestExternalFileOptions()) {
      ingest.setMoveFiles(false);
      KvFamilies kv = storage.kvFamilies();
      for (ColumnFamilyHandle family : List.of(kv.data(), kv.meta(), kv.events())) {
        clear(db, family);
      }
      Path data = staged.resolve(SnapshotStager.DATA_SST);
      if (Files.exists(data)) {
        db.ingestExternalFile(kv.data(), List.of(data.toString()), ingest);
      }
      db.ingestExternalFile(
          kv.meta(), List.of(staged.resolve(SnapshotStager.META_SST).toString()), ingest);
      Path events = staged.resolve(SnapshotStager.EVENTS_SST);
      if (Files.exists(events)) {
        db.ingestExternalFile(kv.events(), List.of(events.toString()), ingest);
      }
      // A snapshot staged by an earlier version (a node upgraded in the middle of an install)
      // has the events in its meta file.
      storage.moveEventsOutOfMeta();
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("snapshot ingest from " + staged, e));
    }
  }

  /** Range-deletes every key of {@code family}: [first, successor of last). */
  private static void clear(RocksDB db, ColumnFamilyHandle family) throws RocksDBException {
    byte[] first;
    byte[] last;
    try (RocksIterator it = db.newIterator(family)) {
      it.seekToFirst();
      if (!it.isValid()) {
        it.status();
        return;
      }
      first = it.key();
      it.seekToLast();
      last = it.key();
    }
    byte[] end = Arrays.copyOf(last, last.length + 1); // the smallest key after last
    try (WriteBatch batch = new WriteBatch();
        WriteOptions options = new WriteOptions()) {
      batch.deleteRange(family, first, end);
      db.write(options, batch);
    }
  }

  private void put(byte[] key, byte[] value) {
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      storage.db().put(storage.raftMetaFamily(), sync, key, value);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("install marker write failed", e));
    }
  }

  private void delete(byte[] key) {
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      storage.db().delete(storage.raftMetaFamily(), sync, key);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("install marker delete failed", e));
    }
  }
}
