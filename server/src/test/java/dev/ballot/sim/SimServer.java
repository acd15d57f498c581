package dev.ballot.sim;

import dev.ballot.cluster.KvWrites;
import dev.ballot.cluster.LeaderRouter;
import dev.ballot.cluster.LeaderView;
import dev.ballot.cluster.LearnerPromoter;
import dev.ballot.cluster.LinearizableReads;
import dev.ballot.cluster.MembershipChanges;
import dev.ballot.cluster.MembershipRequests;
import dev.ballot.cluster.WriteQuota;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.KvImage;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.node.DriverRuntime;
import dev.ballot.node.RaftDriver;
import dev.ballot.node.SnapshotPolicy;
import dev.ballot.node.StateMachine;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.Message;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.Role;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.transport.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.function.LongUnaryOperator;

/**
 * One simulated server built from the parts that ship: a {@link RaftNode}, the real {@link
 * RaftDriver} and its apply loop, and a state machine, run by a {@link SimRunner} in virtual time
 * over a simulated disk and network. Its disk (the Raft log and the state machine's data) outlives
 * a crash; everything else is built anew by {@link #start()}.
 *
 * <p>Clients reach it through {@link #writes()}, the same path as the KV service's, with the leader
 * route's hop to the leader over the simulated network. Membership operations go through {@link
 * #membershipRequests()} and joiners register through {@link #membershipChanges()}, wired as the
 * server wires them (applied-membership cache, leadership transfer, and in some runs the learner
 * promoter), with made-up peer addresses.
 */
final class SimServer {
  /** What the server reports to the simulation. */
  interface Listener {
    void send(SimServer from, SimNetwork.Envelope envelope);

    void entriesWritten(SimServer server, List<Entry> entries);

    void hardStateSynced(SimServer server, HardState hardState);

    /**
     * @param written whether the state machine's state is the one after {@code entry}: false for an
     *     entry of a batch whose writes its state machine held back for a later one
     */
    void applied(SimServer server, Entry entry, boolean written);

    void appliedEmpty(SimServer server, long index);

    void snapshotTaken(SimServer server, SnapshotMeta meta);

    void snapshotInstalled(SimServer server, SnapshotMeta meta);

    void becameLeader(SimServer server);

    /** After each turn of the driver: the core may have changed. */
    void stepped(SimServer server);
  }

  final long id;
  final Identity identity;
  private final RaftConfig config;
  private final ClusterConfig initialCluster;
  private final EventQueue events;
  private final Listener listener;
  private final Random random;
  private final SnapshotPolicy snapshotPolicy;
  private final int maxSyncMs;
  private final int tickMs;
  private final boolean autoPromote;

  private final SimWal wal = new SimWal();
  final SimRaftStorage storage = new SimRaftStorage(wal);
  final KvSimStore store;

  private final SimLeaderLink link;

  RaftNode core;
  RaftDriver<ApplyResult> driver;
  private KvWrites writes;
  private LinearizableReads reads;
  private AppliedMembership members;
  private MembershipChanges membershipChanges;
  private MembershipRequests membershipRequests;
  private SimRunner runner;
  private int incarnation;
  private Role lastRole = Role.FOLLOWER;
  private boolean up;

  /** Stopped for good (it was removed from the cluster): it never starts again. */
  private boolean stopped;

  /**
   * @param identity who the node is and the members it starts from (bootstrap or registration)
   * @param autoPromote whether it runs the learner promoter, as every server does
   */
  SimServer(
      Identity identity,
      RaftConfig config,
      SimLeaderLink link,
      EventQueue events,
      Listener listener,
      Random random,
      SnapshotPolicy snapshotPolicy,
      int maxSyncMs,
      int tickMs,
      boolean autoPromote) {
    this.id = identity.nodeId();
    this.identity = identity;
    this.config = config;
    this.initialCluster = identity.initialMembership().config();
    this.autoPromote = autoPromote;
    this.store = new KvSimStore(identity.initialMembership());
    this.link = link;
    this.events = events;
    this.listener = listener;
    this.random = random;
    this.snapshotPolicy = snapshotPolicy;
    this.maxSyncMs = maxSyncMs;
    this.tickMs = tickMs;
  }

  void start() {
    if (stopped) {
      throw new IllegalStateException("node " + id + " was stopped for good");
    }
    AtomicReference<AppliedMembership> membersRef = new AtomicReference<>();
    StateMachine<ApplyResult> stateMachine =
        new Observed(store.open(c -> membersRef.get().configApplied(c.index(), c.entry())));
    RestoredState restored = storage.loadForStateMachineAt(stateMachine.appliedIndex());
    core = new RaftNode(config, initialCluster, restored, new Random(random.nextLong()), storage);
    runner = new SimRunner(events, random, 3, () -> stepped());
    SimDisk disk =
        new SimDisk(
            storage,
            runner,
            random,
            maxSyncMs,
            new SimDisk.Listener() {
              @Override
              public void written(List<Entry> entries) {
                listener.entriesWritten(SimServer.this, entries);
              }

              @Override
              public void synced(HardState hardState) {
                listener.hardStateSynced(SimServer.this, hardState);
              }
            });
    driver =
        new RaftDriver<>(
            core,
            storage,
            inbox -> new SimTransport(),
            stateMachine,
            snapshotPolicy,
            tickMs,
            config.electionTimeoutTicks(),
            new DriverRuntime(runner, disk, events::nowNanos, new Random(random.nextLong())),
            error -> {
              if (error instanceof InvariantChecker.InvariantViolation invariant) {
                throw invariant; // an invariant checked inside the node's loops: report it as is
              }
              if (error instanceof AssertionError assertion) {
                throw assertion;
              }
              throw new AssertionError("node " + id + " stopped on a failure: " + error, error);
            });
    members = appliedMembership(restored);
    membersRef.set(members);
    driver.onConfigAppended(members::configAppended);
    SimTimer timer = new SimTimer(events, runner);
    long electionMs = (long) config.electionTimeoutTicks() * tickMs;
    LeaderRouter router = LeaderRouter.forElectionTimeout(LeaderView.of(driver), timer, electionMs);
    writes =
        new KvWrites(
            KvRequests.withEtcdDefaults(),
            WriteQuota.NONE,
            driver,
            router,
            link,
            timer,
            CLUSTER_ID);
    // The server's timings, as cluster.LeaderRoutes wires them.
    membershipChanges = MembershipChanges.forElectionTimeout(driver, members, timer, electionMs);
    membershipRequests =
        MembershipRequests.forElectionTimeout(
            router, membershipChanges, link, CLUSTER_ID, driver, timer, electionMs);
    reads = new LinearizableReads(driver, timer, 2 * electionMs);
    lastRole = Role.FOLLOWER;
    up = true;
    incarnation++;
    driver.start();
    members.start();
    if (autoPromote) {
      new LearnerPromoter(driver, membershipChanges, timer).start(); // a crash silences its timer
    }
  }

  /**
   * The applied-membership cache as the server builds it. Learning of its own removal, the node
   * does nothing itself: the run decides when a removed node stops.
   */
  private AppliedMembership appliedMembership(RestoredState restored) {
    KvStore.AppliedConfig applied = store.store().appliedConfig();
    return AppliedMembership.restore(
        identity,
        peerAddr(),
        applied == null ? null : applied.entry(),
        restored.entries(),
        why -> {});
  }

  /** The made-up peer address of a bootstrap node. */
  static String peerAddress(long nodeId) {
    return "sim-node-" + nodeId + ":2380";
  }

  /** This node's peer address, as its members know it. */
  String peerAddr() {
    return identity.initialMembership().member(id).orElseThrow().peerAddr();
  }

  /** The one cluster of a run. */
  static final long CLUSTER_ID = 1;

  /** When a linearizable read may be served here, as the KV service asks. */
  LinearizableReads reads() {
    return reads;
  }

  /** The key-value write path of this incarnation. */
  KvWrites writes() {
    return writes;
  }

  /** The leader side of membership changes in this incarnation (joiners register here). */
  MembershipChanges membershipChanges() {
    return membershipChanges;
  }

  /** A client's membership operation, asked of this node, as the Cluster service asks it. */
  MembershipRequests membershipRequests() {
    return membershipRequests;
  }

  /** The committed members this node knows. */
  Membership members() {
    return members.members();
  }

  /** Counts starts: a request in flight to an earlier incarnation is lost with it. */
  int incarnation() {
    return incarnation;
  }

  private void stepped() {
    Role role = core.role();
    if (role == Role.LEADER && lastRole != Role.LEADER) {
      listener.becameLeader(this);
    }
    lastRole = role;
    listener.stepped(this);
  }

  /** Power loss: the process and everything in memory are gone; the disk keeps what it synced. */
  void crash() {
    up = false;
    runner.kill();
    storage.crash(wal.crash(random));
    store.crash(random);
    core = null;
    driver = null;
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

  /** Runs {@code task} in this incarnation {@code delayMs} from now, unless it crashed first. */
  void after(long delayMs, Runnable task) {
    SimRunner current = runner;
    current.afterIfAlive(delayMs, task);
  }

  /**
   * A message arrived from the network (a snapshot's data is staged first, as the transport does).
   */
  void deliver(SimNetwork.Envelope e) {
    if (!up) {
      return;
    }
    if (e.message() instanceof Message.InstallSnapshot is) {
      store.stage(is.snapshot(), (KvImage) e.snapshot());
    }
    driver.receive(e.message());
  }

  /**
   * Sends the core's messages to the simulated network. A snapshot goes as the server's sender
   * sends it: the newest one this node holds, if at least as new as the one asked for (the state
   * machine may have taken a newer one since the core asked); else the send fails.
   */
  private final class SimTransport implements Transport {
    @Override
    public void send(Message m) {
      if (!(m instanceof Message.InstallSnapshot is)) {
        listener.send(SimServer.this, new SimNetwork.Envelope(m, null));
        return;
      }
      KvImage newest = store.newestSnapshot();
      if (newest == null || newest.meta().index() < is.snapshot().index()) {
        RaftDriver<ApplyResult> sender = driver;
        after(1, () -> sender.snapshotSendFailed(is.to()));
        return;
      }
      Message.InstallSnapshot sent =
          new Message.InstallSnapshot(is.from(), is.to(), is.term(), newest.meta());
      listener.send(SimServer.this, new SimNetwork.Envelope(sent, newest));
    }

    @Override
    public void close() {}
  }

  /** The state machine, observed: every entry applied is reported with the state's hash. */
  private final class Observed implements StateMachine<ApplyResult> {
    private final StateMachine<ApplyResult> delegate;

    /** Applied in the current batch, reported when it ends. */
    private final List<Entry> unreported = new ArrayList<>();

    Observed(StateMachine<ApplyResult> delegate) {
      this.delegate = delegate;
    }

    @Override
    public long appliedIndex() {
      return delegate.appliedIndex();
    }

    @Override
    public ApplyResult apply(Entry entry) {
      ApplyResult result = delegate.apply(entry);
      unreported.add(entry);
      report(); // if it was written at once
      return result;
    }

    @Override
    public void endBatch() {
      delegate.endBatch();
      report();
    }

    @Override
    public void onWritten(LongConsumer written) {
      delegate.onWritten(written);
    }

    /**
     * Reports the entries applied since the last report once the state machine has written them:
     * its state is known after the last of them only, it may have held the writes of the others
     * back.
     */
    private void report() {
      if (unreported.isEmpty()
          || delegate.appliedIndex() < unreported.get(unreported.size() - 1).index()) {
        return;
      }
      for (int i = 0; i < unreported.size(); i++) {
        listener.applied(SimServer.this, unreported.get(i), i == unreported.size() - 1);
      }
      unreported.clear();
    }

    @Override
    public void applyEmpty(long index) {
      endBatch();
      delegate.applyEmpty(index);
      listener.appliedEmpty(SimServer.this, index);
    }

    @Override
    public void applyConfig(Entry entry) {
      endBatch();
      delegate.applyConfig(entry);
      listener.applied(SimServer.this, entry, true);
    }

    @Override
    public long snapshotIndex() {
      return delegate.snapshotIndex();
    }

    @Override
    public SnapshotMeta takeSnapshot(LongUnaryOperator termAt) {
      SnapshotMeta meta = delegate.takeSnapshot(termAt);
      // A RocksDB checkpoint flushes every column family: the log before it is durable, and so is
      // the state (the snapshot's take syncs the engine).
      wal.sync();
      listener.snapshotTaken(SimServer.this, meta);
      return meta;
    }

    @Override
    public void installSnapshot(SnapshotMeta snapshot) {
      endBatch();
      delegate.installSnapshot(snapshot);
      wal.sync(); // an install is durable, as the server's (ingested files, synced)
      listener.snapshotInstalled(SimServer.this, snapshot);
    }
  }
}
