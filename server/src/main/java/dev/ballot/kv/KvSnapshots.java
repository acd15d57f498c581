package dev.ballot.kv;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.SnapshotMeta;
import java.util.function.LongUnaryOperator;

/**
 * Snapshots of a {@link KvStore}, as {@link KvStateMachine} takes them (off the apply thread) and
 * installs them (on it): RocksDB checkpoints on a node ({@link CheckpointSnapshots}), immutable
 * copies in the simulation ({@link InMemoryKvSnapshots}).
 */
public interface KvSnapshots {
  /** The index of the newest snapshot taken or installed; 0 if none. */
  long newestIndex();

  /**
   * Takes a durable snapshot of the store as it is when the take reaches it, while the apply thread
   * may go on applying: the snapshot is at whatever index the store then holds, whose term {@code
   * termAt} gives. Never runs alongside {@link #install}.
   */
  SnapshotMeta take(LongUnaryOperator termAt);

  /** Replaces the store's whole state by the snapshot staged for {@code meta}. */
  void install(SnapshotMeta meta);

  /**
   * The metadata of a snapshot of {@code store}, which no thread changes meanwhile: at its applied
   * index, of the term {@code termAt} gives; its configuration is the applied one, or {@code
   * initialConfig} while none was applied.
   */
  static SnapshotMeta metaOf(KvStore store, LongUnaryOperator termAt, ClusterConfig initialConfig) {
    long index = store.appliedIndex();
    KvStore.AppliedConfig applied = store.appliedConfig();
    ClusterConfig config =
        applied == null ? initialConfig : ConfigEntry.decode(applied.entry()).config();
    return new SnapshotMeta(index, termAt.applyAsLong(index), config);
  }
}
