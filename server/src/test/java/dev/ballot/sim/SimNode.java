package dev.ballot.sim;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.Message;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.ReadState;
import dev.ballot.raft.Ready;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.InMemoryRaftStorage;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;

/**
 * One simulated server: a Raft core, its storage, its state machine, and a driver that follows the
 * Ready contract with a disk that takes time. While a write is being synced the node handles no
 * input (it queues), exactly like a driver blocked on fsync. A crash loses the queue, the unsynced
 * write, and everything in memory; the storage and the last snapshot survive.
 */
final class SimNode {
  /** What the node reports to the simulation. */
  interface Listener {
    void send(SimNode from, SimNetwork.Envelope envelope);

    void scheduleSync(SimNode node, int incarnation, long delayMs);

    void entriesWritten(SimNode node, java.util.List<Entry> entries);

    void applied(SimNode node, Entry entry);

    void snapshotInstalled(SimNode node, SimSnapshot snapshot);

    void snapshotTaken(SimNode node, SnapshotMeta meta);

    void readState(SimNode node, ReadState readState);

    void becameLeader(SimNode node);

    void hardStateSynced(SimNode node, dev.ballot.raft.HardState hardState);
  }

  /** Inputs batched into one Ready at most, like a driver's bounded queue drain. */
  private static final int MAX_INPUTS_PER_READY = 64;

  final long id;
  private final RaftConfig config;
  private final ClusterConfig initialCluster;
  private final Listener listener;
  private final Random random;
  private final int snapshotEveryEntries;
  private final int catchUpEntries;

  /** How slow this node's disk is: a sync takes up to this long. */
  private final int maxSyncMs;

  final InMemoryRaftStorage storage = new InMemoryRaftStorage();
  private SimSnapshot durableSnapshot;

  RaftNode core;
  SimStateMachine stateMachine;
  private boolean up;

  /** Stopped for good (it was removed from the cluster): it never starts again. */
  private boolean stopped;

  private int incarnation;
  private Ready syncing;
  private SimSnapshot received;
  private final ArrayDeque<Runnable> inbox = new ArrayDeque<>();

  SimNode(
      long id,
      RaftConfig config,
      ClusterConfig cluster,
      Listener listener,
      Random random,
      int snapshotEveryEntries,
      int catchUpEntries,
      int maxSyncMs) {
    this.id = id;
    this.config = config;
    this.initialCluster = cluster;
    this.listener = listener;
    this.random = random;
    this.snapshotEveryEntries = snapshotEveryEntries;
    this.catchUpEntries = catchUpEntries;
    this.maxSyncMs = maxSyncMs;
  }

  void start() {
    if (stopped) {
      throw new IllegalStateException("node " + id + " was stopped for good");
    }
    RestoredState stored = storage.load();
    stateMachine = SimStateMachine.restore(durableSnapshot);
    RestoredState restored =
        new RestoredState(
            stored.hardState(), stored.snapshot(), stored.entries(), stateMachine.appliedIndex());
    core = new RaftNode(config, initialCluster, restored, new Random(random.nextLong()), storage);
    up = true;
    incarnation++;
  }

  void crash() {
    up = false;
    incarnation++;
    storage.crash();
    core = null;
    stateMachine = null;
    syncing = null;
    received = null;
    inbox.clear();
  }

  /** The process stops itself for good, as a removed server does; its disk is left as it is. */
  void stop() {
    if (up) {
      crash();
    }
    stopped = true;
  }

  boolean isUp() {
    return up;
  }

  boolean isStopped() {
    return stopped;
  }

  /** Runs {@code input} against the core now, or after the sync in progress. */
  void submit(Runnable input) {
    if (!up) {
      return;
    }
    inbox.add(input);
    pump();
  }

  void deliver(SimNetwork.Envelope e) {
    submit(
        () -> {
          if (e.snapshot() != null) {
            received = e.snapshot();
          }
          core.step(e.message());
        });
  }

  /** The disk finished the write started for incarnation {@code inc}. */
  void syncDone(int inc) {
    if (!up || inc != incarnation || syncing == null) {
      return;
    }
    storage.sync();
    Ready rd = syncing;
    syncing = null;
    if (rd.hardState() != null) {
      listener.hardStateSynced(this, rd.hardState());
    }
    finishReady(rd);
    pump();
  }

  /** Sends what waited for the disk, installs and applies, and hands the Ready back. */
  private void finishReady(Ready rd) {
    for (Message m : rd.messages()) {
      if (!sentBeforeSync(m)) {
        send(m);
      }
    }
    if (rd.snapshot() != null) {
      installSnapshot(rd.snapshot());
    }
    for (Entry e : rd.committedEntries()) {
      stateMachine.apply(e);
      listener.applied(this, e);
    }
    for (ReadState rs : rd.readStates()) {
      listener.readState(this, rs);
    }
    core.advance(rd);
    maybeSnapshot();
  }

  /**
   * The driver loop: feed every queued input to the core, then handle one Ready for all of them, as
   * a real driver batches what arrived during one iteration.
   */
  private void pump() {
    while (up && syncing == null) {
      for (int i = 0; i < MAX_INPUTS_PER_READY && !inbox.isEmpty(); i++) {
        inbox.poll().run();
      }
      if (core.hasReady()) {
        startReady();
      } else if (inbox.isEmpty()) {
        return;
      }
    }
  }

  private void startReady() {
    Ready rd = core.ready();
    if (rd.softState() != null && rd.softState().role() == dev.ballot.raft.Role.LEADER) {
      listener.becameLeader(this);
    }
    for (Message m : rd.messages()) {
      if (sentBeforeSync(m)) {
        send(m);
      }
    }
    if (!rd.mustSync()) {
      if (rd.hardState() != null) {
        storage.save(null, List.of(), rd.hardState(), false); // commit index: lost by a crash
      }
      finishReady(rd);
      return;
    }
    // One write for the whole Ready; it becomes durable when the disk reports the sync.
    storage.save(rd.snapshot(), rd.entries(), rd.hardState(), false);
    if (!rd.entries().isEmpty()) {
      listener.entriesWritten(this, rd.entries());
    }
    syncing = rd;
    listener.scheduleSync(this, incarnation, random.nextInt(maxSyncMs + 1));
  }

  /**
   * A leader's replication traffic does not depend on its own disk: its entries count towards a
   * commit only after advance(). Everything else (votes, acks) waits for the sync.
   */
  private static boolean sentBeforeSync(Message m) {
    return m instanceof Message.AppendEntries
        || m instanceof Message.Heartbeat
        || m instanceof Message.InstallSnapshot;
  }

  private void send(Message m) {
    SimSnapshot data = null;
    if (m instanceof Message.InstallSnapshot is) {
      data = durableSnapshot;
      if (data == null || !data.meta().equals(is.snapshot())) {
        throw new AssertionError(
            "node "
                + id
                + " sends snapshot "
                + is.snapshot()
                + " but holds "
                + (data == null ? null : data.meta()));
      }
    }
    listener.send(this, new SimNetwork.Envelope(m, data));
  }

  private void installSnapshot(SnapshotMeta meta) {
    if (received == null || !received.meta().equals(meta)) {
      throw new AssertionError(
          "node "
              + id
              + " must install "
              + meta
              + " but received "
              + (received == null ? null : received.meta()));
    }
    durableSnapshot = received;
    stateMachine = SimStateMachine.restore(received);
    listener.snapshotInstalled(this, received);
  }

  /** Takes a snapshot every so many applied entries and compacts the log behind it. */
  private void maybeSnapshot() {
    if (snapshotEveryEntries <= 0) {
      return;
    }
    long applied = stateMachine.appliedIndex();
    long last = durableSnapshot == null ? 0 : durableSnapshot.meta().index();
    if (applied - last < snapshotEveryEntries || core.termAt(applied) < 0) {
      return;
    }
    // The configuration in force at the snapshot's index, not the newest: that may not commit.
    SnapshotMeta meta = new SnapshotMeta(applied, core.termAt(applied), core.configAt(applied));
    durableSnapshot = stateMachine.snapshot(meta);
    listener.snapshotTaken(this, meta);
    storage.saveSnapshotMeta(meta);
    long compactIndex = Math.max(core.firstIndex() - 1, applied - catchUpEntries);
    core.compact(meta, compactIndex);
    if (compactIndex > 0) {
      storage.compact(compactIndex);
    }
  }
}
