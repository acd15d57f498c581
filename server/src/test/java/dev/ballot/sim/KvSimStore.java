package dev.ballot.sim;

import dev.ballot.kv.ForwardingKvEngine;
import dev.ballot.kv.InMemoryKvEngine;
import dev.ballot.kv.InMemoryKvSnapshots;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvHash;
import dev.ballot.kv.KvImage;
import dev.ballot.kv.KvStateMachine;
import dev.ballot.kv.KvStore;
import dev.ballot.membership.Membership;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.SnapshotMeta;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A node's key-value state as the server keeps it, on the in-memory engine: the real {@link
 * KvStore} and {@link KvStateMachine}. As in the server, its writes bypass the write-ahead log:
 * they become durable when RocksDB flushes its memtables, which a snapshot forces and which
 * otherwise happens at any moment, so a crash keeps a random prefix of the writes since the last
 * snapshot, whatever the Raft log's syncs. The lost tail is applied again from the log. Snapshots
 * are {@link KvImage}s, carried by the simulated network. As in the server, a fresh store records
 * the members the node starts from, so every snapshot carries a membership.
 */
final class KvSimStore {
  /**
   * A part of a range delete holds a key or two here (the server's parts write 512 KiB), so that
   * the clients' range deletes are written in parts, with crashes between them.
   */
  private static final long DELETE_PART_BYTES = 40;

  private final InMemoryKvEngine engine = new InMemoryKvEngine();
  private final ClusterConfig initialConfig;
  private final byte[] initialConfigEntry;
  private KvStore store;
  private InMemoryKvSnapshots snapshots;

  /**
   * @param initialMembership the members the node starts from (bootstrap, or its registration)
   */
  KvSimStore(Membership initialMembership) {
    this.initialConfig = initialMembership.config();
    this.initialConfigEntry = new ConfigEntry(initialConfig, initialMembership.encode()).encode();
  }

  /**
   * The store and state machine of a fresh incarnation, over the data that survived; {@code
   * onConfig} hears of each configuration applied, as the server's applied-membership cache does.
   */
  KvStateMachine open(Consumer<KvStore.AppliedConfig> onConfig) {
    KvImage newest = snapshots == null ? null : snapshots.newest();
    store = KvStore.withDeleteParts(new Unclosed(), DELETE_PART_BYTES);
    store.initConfig(initialConfigEntry);
    snapshots = new InMemoryKvSnapshots(store, engine, initialConfig, newest);
    return new KvStateMachine(store, snapshots, onConfig);
  }

  KvStore store() {
    return store;
  }

  /**
   * Keeps the durable data and a random prefix of the batches written since: RocksDB may have
   * flushed at any point in between.
   */
  void crash(Random random) {
    engine.crash(random);
  }

  /**
   * The state: every key's record and the revision, the compacted revision, and the records as of a
   * few revisions back (read from the history), so that nodes whose history differs differ here.
   */
  long hash() {
    try {
      KvHash h = store.hash(0);
      long past = Math.max(store.compactRevision(), h.revision() - 3);
      KvHash before = store.hash(Math.max(1, past));
      return (h.revision() << 32)
          ^ (h.hash() & 0xFFFFFFFFL)
          ^ ((long) before.hash() * 31)
          ^ (h.compactRevision() * 1_000_003L);
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

  /** The engine, which outlives each incarnation's store (a close leaves it as it is). */
  private final class Unclosed extends ForwardingKvEngine {
    Unclosed() {
      super(engine);
    }
  }
}
