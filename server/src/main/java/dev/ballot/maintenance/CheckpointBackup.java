package dev.ballot.maintenance;

import dev.ballot.backup.BackupFormat;
import dev.ballot.backup.BackupHeader;
import dev.ballot.backup.BackupWriter;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.Lease;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.Checkpoint;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a backup file of the node's key-value state at one applied index: a RocksDB checkpoint
 * (hard links, so the live instance keeps taking writes and nothing is copied) is opened as an
 * instance of its own, its keys and leases are written out as a {@link BackupFormat} file, and the
 * checkpoint is deleted. The history is not in it. Writes apply their pairs, applied index and
 * revision in one batch, so the checkpoint holds exactly the state after its applied index.
 */
public final class CheckpointBackup {
  private static final Logger log = LoggerFactory.getLogger(CheckpointBackup.class);

  /**
   * A backup file ready to be sent.
   *
   * @param file the backup file
   * @param header what it holds
   * @param pairCount how many pairs
   * @param fileBytes its size, trailer included
   */
  public record Built(Path file, BackupHeader header, long pairCount, long fileBytes) {}

  private CheckpointBackup() {}

  /**
   * Writes a backup of {@code live} into {@code workDir} (which must not exist; it is created on
   * the same file system as the instance so that the checkpoint can hard-link).
   *
   * @param live the node's instance
   * @param clusterId recorded in the header
   * @param workDir a fresh directory for the checkpoint and the file
   * @return the backup file, in {@code workDir}
   * @throws IOException if the checkpoint or the file cannot be written
   */
  public static Built build(RocksDB live, long clusterId, Path workDir) throws IOException {
    return fromCheckpoint(checkpoint(live, workDir), clusterId, workDir);
  }

  /**
   * The first step of {@link #build}, the only one that reads the live instance: a checkpoint in
   * {@code workDir} (which must not exist). Fast (hard links); callers keep it apart from snapshot
   * installs.
   */
  public static Path checkpoint(RocksDB live, Path workDir) throws IOException {
    Files.createDirectories(workDir.getParent());
    Files.createDirectory(workDir);
    Path checkpointDir = workDir.resolve("checkpoint");
    try (Checkpoint checkpoint = Checkpoint.create(live)) {
      checkpoint.createCheckpoint(checkpointDir.toString());
    } catch (RocksDBException e) {
      throw new IOException("checkpoint into " + checkpointDir + " failed", e);
    }
    return checkpointDir;
  }

  /** The second step of {@link #build}: the backup file from the checkpoint, which it deletes. */
  public static Built fromCheckpoint(Path checkpointDir, long clusterId, Path workDir)
      throws IOException {
    try {
      return writeFile(checkpointDir, clusterId, workDir.resolve("backup.ballot"));
    } finally {
      WorkDirs.deleteTree(checkpointDir);
    }
  }

  private static Built writeFile(Path checkpointDir, long clusterId, Path file) throws IOException {
    RocksDbRaftStorage copy;
    try {
      // A copy of our own: opening it read-write (it replays its WAL) touches nothing live.
      copy = RocksDbRaftStorage.openCopy(checkpointDir);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    try (copy;
        KvStore kv = new KvStore(copy.db(), copy.kvFamilies());
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        RocksIterator it = copy.db().newIterator(copy.kvFamilies().data())) {
      BackupHeader header =
          new BackupHeader(BackupFormat.VERSION, clusterId, kv.revision(), kv.appliedIndex());
      BackupWriter writer = new BackupWriter(out, header);
      for (it.seekToFirst(); it.isValid(); it.next()) {
        writer.add(it.key(), it.value());
      }
      try {
        it.status();
      } catch (RocksDBException e) {
        throw new IOException("reading the checkpoint failed", e);
      }
      List<Lease> leases = kv.leases(); // by stored id: big-endian, so ascending unsigned
      for (Lease lease : leases) {
        writer.lease(lease.id(), lease.grantedTtlSeconds());
      }
      long pairs = writer.finish();
      out.flush();
      long bytes = Files.size(file);
      log.info(
          "backup built revision={} appliedIndex={} pairs={} leases={} bytes={}",
          header.revision(),
          header.appliedIndex(),
          pairs,
          leases.size(),
          bytes);
      return new Built(file, header, pairs, bytes);
    }
  }
}
