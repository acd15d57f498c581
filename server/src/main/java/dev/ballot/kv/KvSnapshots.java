package dev.ballot.kv;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.SnapshotMeta;

/**
 * Snapshots of a {@link KvStore}, as {@link KvStateMachine} takes and installs them on the apply
 * thread: RocksDB checkpoints on a node ({@link CheckpointSnapshots}), immutable copies in the
 * simulation ({@link InMemoryKvSnapshots}).
 */
public interface KvSnapshots {
  /** The index of the newest snapshot taken or installed; 0 if none. */
  long newestIndex();

  /**
   * Takes a durable snapshot of the store, which is exactly at {@code index} (an entry of {@code
   * term}).
   */
  SnapshotMeta take(long index, long term);

  /** Replaces the store's whole state by the snapshot staged for {@code meta}. */
  void install(SnapshotMeta meta);

  /**
   * The metadata of a snapshot of {@code store} at {@code index}: its configuration is the applied
   * one, or {@code initialConfig} while none was applied.
   */
  static SnapshotMeta metaAt(KvStore store, long index, long term, ClusterConfig initialConfig) {
    if (store.appliedIndex() != index) {
      throw new IllegalStateException(
          "snapshot at " + index + " but the store is at " + store.appliedIndex());
    }
    KvStore.AppliedConfig applied = store.appliedConfig();
    ClusterConfig config =
        applied == null ? initialConfig : ConfigEntry.decode(applied.entry()).config();
    return new SnapshotMeta(index, term, config);
  }
}
