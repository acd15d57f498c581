package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.rocksdb.RocksDBException;

/**
 * Reads the index of the snapshot recorded in {@code raft_meta}, for status endpoints. Safe from
 * any thread while the storage is open: it is one RocksDB point read and touches none of the
 * owner's state.
 */
public final class StoredSnapshotIndex {
  /** RocksDbRaftStorage's key for the snapshot meta (StoredSnapshotIndexTest checks they agree). */
  private static final byte[] SNAPSHOT_META_KEY = "snapshot_meta".getBytes(UTF_8);

  private StoredSnapshotIndex() {}

  /** The index of the newest stored snapshot, 0 if there is none. */
  public static long of(RocksDbRaftStorage storage) {
    try {
      byte[] value = storage.db().get(storage.raftMetaFamily(), SNAPSHOT_META_KEY);
      return value == null ? 0 : MetaCodec.decodeSnapshotMeta(value).index();
    } catch (RocksDBException e) {
      throw new java.io.UncheckedIOException(
          new java.io.IOException("snapshot meta read failed", e));
    }
  }
}
