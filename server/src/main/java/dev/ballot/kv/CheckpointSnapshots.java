package dev.ballot.kv;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.ReadOnlyCheckpoint;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.SnapshotDir;
import dev.ballot.storage.SnapshotInfo;
import dev.ballot.storage.SnapshotInstaller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * Snapshots of the {@link KvStore}: taken as RocksDB checkpoints off the apply thread, while it
 * goes on applying (the checkpoint says which index it holds), and installed from a leader's staged
 * snapshot (see {@link SnapshotInstaller}, which also takes a local checkpoint at the same index so
 * this node can serve it in turn).
 */
public final class CheckpointSnapshots implements KvSnapshots {
  private final KvStore store;
  private final RocksDbRaftStorage storage;
  private final SnapshotDir dir;
  private final SnapshotInstaller installer;
  private final ClusterConfig initialConfig;

  /**
   * @param initialConfig the configuration recorded in snapshots taken before any configuration
   *     entry was applied (later ones record the applied configuration)
   */
  public CheckpointSnapshots(
      KvStore store, RocksDbRaftStorage storage, SnapshotDir dir, ClusterConfig initialConfig) {
    this.store = store;
    this.storage = storage;
    this.dir = dir;
    this.installer = new SnapshotInstaller(storage, dir);
    this.initialConfig = initialConfig;
  }

  public SnapshotDir dir() {
    return dir;
  }

  @Override
  public long newestIndex() {
    List<SnapshotDir.Local> all = dir.list();
    return all.isEmpty() ? 0 : all.get(0).index();
  }

  @Override
  public SnapshotMeta take(LongUnaryOperator termAt) {
    // Never in the middle of a range delete written in parts (KvStore.applyRangeDelete): the
    // checkpoint must hold whole entries only.
    return store
        .readStable(() -> dir.takeLive(storage.db(), checkpoint -> describe(checkpoint, termAt)))
        .info()
        .meta();
  }

  /** What a checkpoint holds, read from its own kv_meta: the apply thread went on meanwhile. */
  private SnapshotInfo describe(Path checkpoint, LongUnaryOperator termAt) {
    try (ReadOnlyCheckpoint db = new ReadOnlyCheckpoint(checkpoint);
        KvStore held = new KvStore(new RocksKvEngine(db.db(), db.kvFamilies()))) {
      return new SnapshotInfo(KvSnapshots.metaOf(held, termAt, initialConfig), held.revision());
    }
  }

  @Override
  public void install(SnapshotMeta meta) {
    Path staged = dir.staged(meta.index(), meta.term());
    if (!Files.isDirectory(staged)) {
      throw new IllegalStateException("no staged snapshot for " + meta + " in " + dir.path());
    }
    SnapshotInfo info = store.replaceState(() -> installer.install(staged));
    if (store.appliedIndex() != meta.index() || store.revision() != info.revision()) {
      throw new IllegalStateException(
          "installed snapshot "
              + meta
              + " revision "
              + info.revision()
              + " but the store holds index "
              + store.appliedIndex()
              + " revision "
              + store.revision());
    }
  }
}
