package dev.ballot.maintenance;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.ballot.backup.BackupReader;
import dev.ballot.kv.KvStore;
import dev.ballot.storage.KvFamilies;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds a new node's data directory from a backup file, as {@code etcdctl snapshot restore} does:
 * the key-value pairs, the leases and the revision (also as the compacted revision: a backup holds
 * no history), with applied index 0 and an empty Raft log, so the node then discovers its peers and
 * starts a new cluster whose first entries apply on top of the restored state. The instance is
 * built in {@code db.restoring} and renamed to {@code db} only when complete, so a crash midway
 * leaves no half-restored node.
 */
public final class BackupRestore {
  private static final Logger log = LoggerFactory.getLogger(BackupRestore.class);

  /**
   * kv_meta's record of the backup a node was restored from (its {@link #fingerprint}); discovery
   * compares it across the nodes of a new cluster.
   */
  private static final byte[] RESTORED_FROM_KEY = "restored_from".getBytes(UTF_8);

  private static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

  /** The data directory already holds a node: restoring would overwrite it. */
  public static final class DataDirInUseException extends IOException {
    private static final long serialVersionUID = 1L;

    DataDirInUseException(String message) {
      super(message);
    }
  }

  /**
   * What was restored.
   *
   * @param revision the store revision
   * @param pairCount how many keys
   */
  public record Restored(long revision, long pairCount) {}

  private BackupRestore() {}

  /**
   * Restores {@code backup} into {@code dbDir}, which must not exist yet.
   *
   * @param backup a backup file (from kvctl or etcdctl snapshot save)
   * @param dbDir where the node's RocksDB instance will live
   * @return what was restored
   * @throws DataDirInUseException if {@code dbDir} exists
   * @throws dev.ballot.backup.BackupFormatException if the file is not a valid backup
   * @throws IOException if reading or writing fails
   */
  public static Restored restore(Path backup, Path dbDir) throws IOException {
    BackupReader.Summary verified = BackupReader.verify(backup);
    String fingerprint = fingerprint(verified);
    if (Files.exists(dbDir)) {
      if (restoredButNeverStarted(dbDir, fingerprint)) {
        // The node stopped after the restore, before it found its peers: carry on.
        log.info("already restored from this backup file={} fingerprint={}", backup, fingerprint);
        return new Restored(verified.header().revision(), verified.pairCount());
      }
      throw new DataDirInUseException(
          dbDir + " already holds data; restore only into a new, empty data directory");
    }
    Path staging = dbDir.resolveSibling(dbDir.getFileName() + ".restoring");
    WorkDirs.deleteTree(staging); // left by a restore that crashed
    BackupReader.Summary summary;
    RocksDbRaftStorage storage;
    try {
      storage = RocksDbRaftStorage.open(staging);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    try (storage;
        WriteOptions unsynced = new WriteOptions();
        WriteOptions synced = new WriteOptions().setSync(true);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true);
        PendingBatch pending = new PendingBatch(storage, unsynced)) {
      Map<Long, Long> leases = new HashMap<>();
      summary =
          BackupReader.read(
              backup,
              new BackupReader.PairConsumer() {
                @Override
                public void accept(byte[] key, byte[] value) throws IOException {
                  pending.put(key, value);
                }

                @Override
                public void lease(long id, long ttlSeconds) {
                  leases.put(id, ttlSeconds);
                }
              });
      pending.flush();
      try (KvStore store = new KvStore(storage.db(), storage.kvFamilies())) {
        store.completeRestore(summary.header().revision(), leases);
      }
      // The store writes without the WAL. Under atomic flush, a flush covers only the families
      // named (the default one if none), so all three are.
      KvFamilies kv = storage.kvFamilies();
      storage.db().flush(flush, List.of(kv.data(), kv.meta(), kv.events()));
      try (WriteBatch last = new WriteBatch()) {
        last.put(storage.kvFamilies().meta(), RESTORED_FROM_KEY, fingerprint.getBytes(UTF_8));
        storage.db().write(synced, last); // syncs the WAL, and so every batch before it
      }
    } catch (RocksDBException e) {
      throw new IOException("restore into " + staging + " failed", e);
    }
    Files.move(staging, dbDir, StandardCopyOption.ATOMIC_MOVE);
    Restored restored = new Restored(summary.header().revision(), summary.pairCount());
    log.info(
        "restored from backup file={} revision={} pairs={} leases={} sourceCluster={}"
            + " sourceAppliedIndex={}",
        backup,
        restored.revision(),
        restored.pairCount(),
        summary.leaseCount(),
        Long.toHexString(summary.header().clusterId()),
        summary.header().appliedIndex());
    return restored;
  }

  /** What names a backup's content: the start of the SHA-256 its file ends with. */
  static String fingerprint(BackupReader.Summary summary) {
    StringBuilder hex = new StringBuilder("sha256:");
    for (int i = 0; i < 12; i++) {
      hex.append(String.format("%02x", summary.sha256()[i]));
    }
    return hex.toString();
  }

  /**
   * The fingerprint of the backup this node's data was restored from, or "" if it was not (a new
   * node starts empty).
   */
  public static String restoredFingerprint(RocksDbRaftStorage storage) {
    try {
      byte[] value = storage.db().get(storage.kvFamilies().meta(), RESTORED_FROM_KEY);
      return value == null ? "" : new String(value, UTF_8);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("kv_meta read failed", e));
    }
  }

  private static boolean restoredButNeverStarted(Path dbDir, String fingerprint) {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dbDir)) {
      return storage.readIdentity() == null && restoredFingerprint(storage).equals(fingerprint);
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /**
   * Refuses to go on when a restore into {@code dbDir} was interrupted: starting without it would
   * make an empty node where a restored one was meant to be, and its replicas would diverge.
   *
   * @throws IOException naming what to do
   */
  public static void checkNotInterrupted(Path dbDir) throws IOException {
    Path staging = dbDir.resolveSibling(dbDir.getFileName() + ".restoring");
    if (Files.exists(staging) && !Files.exists(dbDir)) {
      throw new InterruptedRestoreException(
          "a restore into "
              + dbDir
              + " was interrupted ("
              + staging
              + " is left); start again with the same --restore-from to finish it");
    }
  }

  /** A restore was interrupted and the node was started without finishing it. */
  public static final class InterruptedRestoreException extends IOException {
    private static final long serialVersionUID = 1L;

    InterruptedRestoreException(String message) {
      super(message);
    }
  }

  /** Pairs gathered into batches of at most {@link #MAX_BATCH_BYTES}. */
  private static final class PendingBatch implements AutoCloseable {
    private final RocksDbRaftStorage storage;
    private final WriteOptions options;
    private WriteBatch batch = new WriteBatch();

    PendingBatch(RocksDbRaftStorage storage, WriteOptions options) {
      this.storage = storage;
      this.options = options;
    }

    void put(byte[] key, byte[] value) throws IOException {
      try {
        batch.put(storage.kvFamilies().data(), key, value);
        if (batch.getDataSize() >= MAX_BATCH_BYTES) {
          flush();
        }
      } catch (RocksDBException e) {
        throw new IOException("restore write failed", e);
      }
    }

    void flush() throws RocksDBException {
      storage.db().write(options, batch);
      batch.close();
      batch = new WriteBatch();
    }

    @Override
    public void close() {
      batch.close();
    }
  }
}
