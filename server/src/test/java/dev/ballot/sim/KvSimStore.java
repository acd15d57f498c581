package dev.ballot.sim;

import dev.ballot.kv.InMemoryKvEngine;
import dev.ballot.kv.InMemoryKvSnapshots;
import dev.ballot.kv.KvBatch;
import dev.ballot.kv.KvEngine;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvHash;
import dev.ballot.kv.KvImage;
import dev.ballot.kv.KvSpace;
import dev.ballot.kv.KvStateMachine;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.KvView;
import dev.ballot.membership.Membership;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.SnapshotMeta;
import java.util.function.Consumer;

/**
 * A node's key-value state as the server keeps it, on the in-memory engine: the real {@link
 * KvStore} and {@link KvStateMachine}, whose batches are writes on the node's {@link SimWal}.
 * Snapshots are {@link KvImage}s, carried by the simulated network. As in the server, a fresh store
 * records the members the node starts from, so every snapshot carries a membership.
 */
final class KvSimStore {
  private final InMemoryKvEngine engine = new InMemoryKvEngine();
  private final SimWal wal;
  private final ClusterConfig initialConfig;
  private final byte[] initialConfigEntry;
  private KvStore store;
  private InMemoryKvSnapshots snapshots;

  /**
   * @param initialMembership the members the node starts from (bootstrap, or its registration)
   */
  KvSimStore(SimWal wal, Membership initialMembership) {
    this.wal = wal;
    this.initialConfig = initialMembership.config();
    this.initialConfigEntry = new ConfigEntry(initialConfig, initialMembership.encode()).encode();
    wal.onSync(engine::sync);
  }

  /**
   * The store and state machine of a fresh incarnation, over the data that survived; {@code
   * onConfig} hears of each configuration applied, as the server's applied-membership cache does.
   */
  KvStateMachine open(Consumer<KvStore.AppliedConfig> onConfig) {
    KvImage newest = snapshots == null ? null : snapshots.newest();
    store = new KvStore(new OnWal());
    store.initConfig(initialConfigEntry);
    snapshots = new InMemoryKvSnapshots(store, engine, initialConfig, newest);
    return new KvStateMachine(store, snapshots, onConfig);
  }

  KvStore store() {
    return store;
  }

  /** Keeps the durable data and the first {@code keepUnsynced} batches written since. */
  void crash(int keepUnsynced) {
    engine.crash(keepUnsynced);
  }

  /** The whole state: every key's record and the revision. */
  long hash() {
    try {
      KvHash h = store.hash(0);
      return (h.revision() << 32) ^ (h.hash() & 0xFFFFFFFFL);
    } catch (KvException e) {
      throw new IllegalStateException(e);
    }
  }

  long appliedIndex() {
    return store.appliedIndex();
  }

  /** The newest snapshot taken or installed, or null. */
  KvImage newestSnapshot() {
    return snapshots.newest();
  }

  void stage(SnapshotMeta meta, KvImage image) {
    snapshots.stage(meta, image);
  }

  /** The engine, each batch written counted as a write of the node's WAL. */
  private final class OnWal implements KvEngine {
    @Override
    public KvView live() {
      return engine.live();
    }

    @Override
    public KvView snapshot() {
      return engine.snapshot();
    }

    @Override
    public KvBatch newBatch() {
      return engine.newBatch();
    }

    @Override
    public void write(KvBatch batch, long index) {
      engine.write(batch, index);
      wal.wrote(SimWal.Owner.STATE_MACHINE);
    }

    @Override
    public void deleteRange(KvSpace space, byte[] from, byte[] to, long index) {
      engine.deleteRange(space, from, to, index);
      wal.wrote(SimWal.Owner.STATE_MACHINE);
    }

    @Override
    public void close() {}
  }
}
