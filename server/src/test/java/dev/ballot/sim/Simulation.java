package dev.ballot.sim;

import dev.ballot.linearizability.KvChecker;
import dev.ballot.linearizability.Verdict;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.node.SnapshotPolicy;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import dev.ballot.raft.Message;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One seeded run: a 3- or 5-node cluster, a client load, and a fault mix, all in virtual time on
 * one thread. After every event the safety invariants are checked; after the faults heal the
 * cluster must elect a leader and commit again; at the end the client history must be linearizable.
 * The same seed replays the same run, event for event. In a mix with membership changes, nodes
 * register and join with the ids the leader gives them and removed nodes stop, so the nodes of a
 * run are not fixed.
 */
final class Simulation {
  static final int TICK_MS = 10;
  static final int CHAOS_MS = 6_000;

  /** Leader churn needs a longer run to line up the races of Raft's figure 8. */
  static final int LEADER_CHURN_CHAOS_MS = 20_000;

  static final int RECOVERY_MS = 20_000;

  /** About a hundred times what a run takes: beyond it the run is stuck in a storm of events. */
  static final long MAX_EVENTS = 2_000_000;

  /** Nodes that may try to join in a run with membership changes. */
  static final int MAX_JOINERS = 12;

  /**
   * Room for node ids beyond the joiners: a joiner whose learner is removed before it hears its id
   * registers again, and gets a new one.
   */
  static final int SPARE_NODE_IDS = MAX_JOINERS;

  /** Temporary ids of bootstrap nodes (as discovery draws them) are this plus the node id. */
  private static final long BOOTSTRAP_TEMP_ID_BASE = 500;

  /** What a run did, for reporting. */
  record Result(
      long seed,
      int nodes,
      FaultMix mix,
      long events,
      long okWrites,
      long okForwardedWrites,
      long okWritesUnappliedThere,
      long okReads,
      long committed,
      long snapshotsInstalled,
      long configChanges,
      long joiners,
      long leadersRemoved,
      long transfers,
      long forwardedChangesAcked) {}

  private final long seed;
  private final Random random;
  private final FaultMix mix;
  private final int initialNodeCount;

  /** Running or not, by id; null for an id no node has started with (yet). */
  private final SimServer[] byId;

  /** Every node started so far, in id order. */
  private final List<SimServer> nodes = new ArrayList<>();

  private final SimMembership membership;
  private final SimNetwork network;
  private final SimKvClient client;
  private final InvariantChecker invariants;
  private final EventQueue events = new EventQueue();
  private long eventCount;
  private boolean healed;
  private long snapshotsInstalled;

  /** Per-node tuning drawn for the whole run. */
  private final int snapshotEvery;

  private final int catchUp;
  private final boolean preVote;

  /** Whether nodes promote caught-up learners themselves, as servers do (half the runs). */
  private final boolean autoPromote;

  private final SimServer.Listener listener = new Listener();

  Simulation(long seed, FaultMix onlyMix) {
    this.seed = seed;
    this.random = new Random(seed);
    int nodeCount = random.nextBoolean() ? 3 : 5;
    FaultMix drawn = FaultMix.draw(random);
    this.mix = onlyMix != null ? onlyMix : drawn;
    this.initialNodeCount = nodeCount;
    int maxNodeId = nodeCount + (mix.membership ? MAX_JOINERS + SPARE_NODE_IDS : 0);
    this.network = new SimNetwork(maxNodeId, random, new NetworkEvents());
    List<Membership.Member> bootstrap = new ArrayList<>();
    for (long i = 1; i <= nodeCount; i++) {
      bootstrap.add(
          new Membership.Member(
              i,
              SimServer.peerAddress(i),
              "sim-node-" + i + ":2379",
              false,
              BOOTSTRAP_TEMP_ID_BASE + i));
    }
    Membership bootstrapMembers = new Membership(bootstrap, nodeCount);
    ClusterConfig cluster = bootstrapMembers.config();
    this.invariants = new InvariantChecker(maxNodeId, cluster);
    SimServer[] slots = new SimServer[maxNodeId + 1];
    this.byId = slots;
    boolean compaction = mix.compaction || (mix.membership && random.nextBoolean());
    this.snapshotEvery = compaction ? 5 + random.nextInt(20) : 0;
    this.catchUp = random.nextInt(5);
    this.preVote = !mix.membership || random.nextInt(4) != 0;
    this.autoPromote = mix.membership && random.nextBoolean();
    for (long id = 1; id <= nodeCount; id++) {
      addNode(
          new Identity(
              id, SimServer.CLUSTER_ID, BOOTSTRAP_TEMP_ID_BASE + id, bootstrapMembers, false));
    }
    this.client = new SimKvClient(new Random(random.nextLong()), events::nowMs);
    this.membership =
        mix.membership
            ? new SimMembership(
                new Random(random.nextLong()),
                new MembershipCluster(),
                bootstrapMembers,
                MAX_JOINERS,
                maxNodeId)
            : null;
  }

  /** A node with its own disk and tuning; a joiner knows only the members it registered with. */
  private SimServer addNode(Identity identity) {
    long id = identity.nodeId();
    RaftConfig config =
        RaftConfig.builder(id)
            .ticks(10, 2)
            .maxInflightAppends(1 + random.nextInt(8))
            .maxAppendBytes(8 + random.nextInt(64))
            .maxUncommittedBytes(64 + random.nextInt(512))
            // 1 to 4 entries of 8 bytes in memory: the rest is read back from the simulated disk.
            // Not drawn from the seed's random, so that kept seeds replay as they were found.
            .maxInMemoryLogBytes(8L * (1 + id % 4))
            .preVote(preVote)
            .build();
    int maxSyncMs = new int[] {1, 5, 20}[random.nextInt(3)];
    SimServer n =
        new SimServer(
            identity,
            config,
            new SimLeaderLink(id, network, events, other -> byId[(int) other]),
            events,
            listener,
            new Random(random.nextLong()),
            new SnapshotPolicy(snapshotEvery, catchUp),
            maxSyncMs,
            TICK_MS,
            autoPromote);
    byId[(int) id] = n;
    nodes.add(n);
    return n;
  }

  Result run() {
    for (SimServer n : nodes) {
      // Nodes start within one tick of each other, so their ticks are out of phase.
      at(random.nextInt(TICK_MS), () -> start(n));
    }
    scheduleClient(1);
    scheduleFault(200 + random.nextInt(300));
    if (membership != null) {
      scheduleMembershipChange(300 + random.nextInt(300));
    }
    long chaosMs = mix == FaultMix.LEADER_CHURN ? LEADER_CHURN_CHAOS_MS : CHAOS_MS;
    at(chaosMs, this::heal);
    long deadline = chaosMs + RECOVERY_MS;
    while (!events.isEmpty()) {
      if (events.nextTimeMs() > deadline) {
        break;
      }
      events.runNext();
      if (++eventCount > MAX_EVENTS) {
        throw new AssertionError(
            "more than " + MAX_EVENTS + " events by " + nowMs() + " ms: a message storm?");
      }
      checkInvariants();
      if (healed && recovered()) {
        break;
      }
    }
    if (!recovered()) {
      throw new AssertionError(
          "cluster did not recover within "
              + RECOVERY_MS
              + " ms after the faults healed: "
              + describeNodes());
    }
    if (!client.unappliedAnswers.isEmpty()) {
      throw new AssertionError(
          "a node answered a write before applying it itself, with time left: "
              + client.unappliedAnswers.size()
              + " times, first "
              + client.unappliedAnswers.subList(0, Math.min(3, client.unappliedAnswers.size())));
    }
    client.readAllAtEnd(currentLeader().store.store());
    Verdict verdict = KvChecker.check(client.history());
    if (!verdict.linearizable()) {
      throw new AssertionError("history is not linearizable: " + verdict.explanation());
    }
    return new Result(
        seed,
        initialNodeCount,
        mix,
        eventCount,
        client.okWrites,
        client.okForwardedWrites,
        client.okWritesUnappliedThere,
        client.okReads,
        invariants.highestCommitted(),
        snapshotsInstalled,
        membership == null ? 0 : membership.changesCommitted,
        membership == null ? 0 : membership.joinersStarted,
        membership == null ? 0 : membership.leadersRemoved,
        membership == null ? 0 : membership.transfersCompleted,
        membership == null ? 0 : membership.forwardedChangesAcked);
  }

  FaultMix mix() {
    return mix;
  }

  int nodeCount() {
    return initialNodeCount;
  }

  // ---------------------------------------------------------------- events

  private void at(long timeMs, Runnable action) {
    events.at(timeMs, action);
  }

  private void start(SimServer n) {
    n.start();
    invariants.restarted(n.core);
  }

  private void deliver(SimNetwork.Envelope e) {
    if (!network.deliverable(e)) {
      if (e.message() instanceof Message.InstallSnapshot is) {
        new NetworkEvents().snapshotFailedAt(nowMs() + 1, is);
      }
      return;
    }
    SimServer to = byId[(int) e.message().to()];
    if (to == null || !to.isUp()) {
      // Nobody listens there (a joiner not started yet, a node down): a snapshot stream fails.
      if (e.message() instanceof Message.InstallSnapshot is) {
        new NetworkEvents().snapshotFailedAt(nowMs() + 1, is);
      }
      return;
    }
    to.deliver(e);
  }

  private void scheduleClient(long delayMs) {
    at(
        nowMs() + delayMs,
        () -> {
          if (!healed) {
            clientOperation();
            scheduleClient(2 + random.nextInt(25));
          }
        });
  }

  private void clientOperation() {
    SimServer target = pickNodeForClient();
    if (target == null) {
      return;
    }
    client.operate(target);
  }

  private SimServer pickNodeForClient() {
    // Any node: a follower forwards a write to its leader, as a client of a real cluster sees.
    SimServer n = randomNode();
    return n.isUp() ? n : null;
  }

  private SimServer randomNode() {
    return nodes.get(random.nextInt(nodes.size()));
  }

  // ---------------------------------------------------------------- faults

  private void scheduleFault(long delayMs) {
    at(
        nowMs() + delayMs,
        () -> {
          if (!healed) {
            injectFault();
            scheduleFault(
                mix == FaultMix.LEADER_CHURN
                    ? 50 + random.nextInt(250)
                    : 100 + random.nextInt(600));
          }
        });
  }

  private void injectFault() {
    List<Runnable> choices = new ArrayList<>();
    if (mix.lossy) {
      choices.add(
          () -> {
            network.dropRate = random.nextDouble() * 0.3;
            network.duplicateRate = random.nextDouble() * 0.1;
            network.maxDelayMs = 1 + random.nextInt(60);
          });
      choices.add(network::calm);
    }
    if (mix.partitions) {
      choices.add(this::partitionRandomly);
      choices.add(network::healLinks);
    }
    if (mix.crashes) {
      choices.add(this::crashRandomNode);
    }
    if (mix == FaultMix.FAR_BEHIND) {
      choices.add(this::cutOffFollowerForLong);
    }
    if (!choices.isEmpty()) {
      choices.get(random.nextInt(choices.size())).run();
    }
  }

  /** Membership changes come on their own schedule, a few per second, until the heal. */
  private void scheduleMembershipChange(long delayMs) {
    at(
        nowMs() + delayMs,
        () -> {
          if (!healed) {
            membership.changeRandomly();
            scheduleMembershipChange(100 + random.nextInt(400));
          }
        });
  }

  /** Cuts one follower off for 1-3 s (writes go on meanwhile), then lets it back. */
  private void cutOffFollowerForLong() {
    SimServer leader = currentLeader();
    if (leader == null || network.hasCuts()) {
      return;
    }
    SimServer follower = randomNode();
    if (follower == leader) {
      return;
    }
    boolean[] side = new boolean[byId.length];
    side[(int) follower.id] = true;
    network.partition(side);
    at(nowMs() + 1_000 + random.nextInt(2_000), network::healLinks);
  }

  private void partitionRandomly() {
    int kind = random.nextInt(5);
    SimServer leader = currentLeader();
    if (kind == 4) {
      // Several small groups, often none with a majority: minority leaders build long tails
      // that a later leader may have to replicate (or overwrite) - Raft's figure 8 territory.
      int[] group = new int[byId.length];
      for (SimServer n : nodes) {
        group[(int) n.id] = random.nextInt(3);
      }
      network.split(group);
      return;
    }
    if (kind == 0 || (kind == 3 && leader == null)) {
      boolean[] side = new boolean[byId.length];
      side[(int) randomNode().id] = true;
      network.partition(side);
    } else if (kind == 3) {
      boolean[] side = new boolean[byId.length];
      side[(int) leader.id] = true;
      network.partition(side);
    } else if (kind == 1) {
      boolean[] side = new boolean[byId.length];
      for (SimServer n : nodes) {
        side[(int) n.id] = random.nextBoolean();
      }
      network.partition(side);
    } else {
      int a = (int) randomNode().id;
      int b = (int) randomNode().id;
      if (a != b) {
        network.cutOneWay(a, b);
      }
    }
  }

  /**
   * Crashes a node and restarts it later: mostly soon (a process restart), sometimes after long
   * enough for the others to compact the log it needs. Leaders are where the interesting races are,
   * so they are the target more often.
   */
  private void crashRandomNode() {
    SimServer leader = currentLeader();
    int leaderPercent = mix == FaultMix.LEADER_CHURN ? 80 : 50;
    SimServer n = leader != null && random.nextInt(100) < leaderPercent ? leader : randomNode();
    if (n.isUp()) {
      crash(n);
    }
  }

  private void crash(SimServer n) {
    n.crash();
    tellPeersItIsGone(n);
    long downMs = random.nextInt(10) < 7 ? 5 + random.nextInt(300) : 300 + random.nextInt(3000);
    at(
        nowMs() + downMs,
        () -> {
          if (!n.isUp() && !n.isStopped()) {
            restart(n);
          }
        });
  }

  /**
   * The peers still linked to a crashed node see its connections break and their reconnect refused
   * after a few milliseconds, as the transport does; now and then one of them does not notice, and
   * now and then a live node is reported gone by mistake (a proxy that resets connections).
   */
  private void tellPeersItIsGone(SimServer gone) {
    for (SimServer peer : nodes) {
      if (peer != gone
          && peer.isUp()
          && network.linked(gone.id, peer.id)
          && random.nextInt(10) != 0) {
        peer.after(1 + random.nextInt(20), () -> peer.driver.peerGone(gone.id));
      }
    }
    if (random.nextInt(4) == 0) {
      SimServer mistaken = randomNode();
      SimServer live = randomNode();
      if (mistaken != live && mistaken.isUp() && live.isUp()) {
        mistaken.after(1 + random.nextInt(50), () -> mistaken.driver.peerGone(live.id));
      }
    }
  }

  private void restart(SimServer n) {
    start(n);
  }

  /**
   * A leader that has just won still has entries of earlier terms to replicate before its no-op
   * commits: the window of Raft's figure 8. Crash it or cut it off right then.
   */
  private void strikeNewLeader(SimServer node) {
    if (healed || !node.isUp()) {
      return;
    }
    if (random.nextBoolean()) {
      crash(node);
    } else {
      boolean[] side = new boolean[byId.length];
      side[(int) node.id] = true;
      network.partition(side);
      at(nowMs() + 20 + random.nextInt(400), network::healLinks);
    }
  }

  /** End of the faults: full connectivity, every node up, and one more write that must commit. */
  private void heal() {
    healed = true;
    if (membership != null) {
      membership.stopChanging();
    }
    network.healLinks();
    network.calm();
    for (SimServer n : nodes) {
      if (!n.isUp() && !n.isStopped()) {
        restart(n);
      }
    }
    scheduleRecoveryWrite();
  }

  /** The applied index every member must reach: the leader's commit once the write was acked. */
  private long recoveryCommitIndex = -1;

  /** When the last recovery write was sent: one at a time, unless it went unanswered for 1 s. */
  private long recoveryWriteSentMs = Long.MIN_VALUE / 2;

  private void scheduleRecoveryWrite() {
    at(
        nowMs() + 50,
        () -> {
          SimServer leader = currentLeader();
          if (recoveryCommitIndex < 0 && leader != null && nowMs() - recoveryWriteSentMs > 1_000) {
            recoveryWriteSentMs = nowMs();
            client
                .putRecovery("after-heal-" + nowMs(), leader)
                .whenComplete(
                    (response, error) -> {
                      recoveryWriteSentMs = Long.MIN_VALUE / 2;
                      if (error == null && leader.isUp()) {
                        recoveryCommitIndex = leader.core.commitIndex();
                      }
                    });
          }
          if (!recovered()) {
            scheduleRecoveryWrite();
          }
        });
  }

  private SimServer currentLeader() {
    SimServer best = null;
    for (SimServer n : nodes) {
      if (n.isUp()
          && n.core.role() == Role.LEADER
          && (best == null || n.core.term() > best.core.term())) {
        best = n;
      }
    }
    return best;
  }

  /**
   * A leader exists and every member of its configuration (all nodes, unless the mix changes
   * membership) has applied a write made after the heal.
   */
  private boolean recovered() {
    SimServer leader = currentLeader();
    if (recoveryCommitIndex < 0 || leader == null) {
      return false;
    }
    for (long id : leader.core.cluster().members()) {
      SimServer n = byId[(int) id];
      if (n == null || !n.isUp() || n.store.appliedIndex() < recoveryCommitIndex) {
        return false;
      }
    }
    return true;
  }

  private void checkInvariants() {
    for (SimServer n : nodes) {
      if (n.isUp()) {
        invariants.checkNode(n.core);
      }
    }
  }

  String describeNodes() {
    StringBuilder sb = new StringBuilder();
    for (SimServer n : nodes) {
      sb.append("\n  node ")
          .append(n.id)
          .append(": ")
          .append(n.isUp() ? describe(n.core) : n.isStopped() ? "stopped" : "down");
    }
    return sb.toString();
  }

  private static String describe(RaftNode core) {
    return core
        + " lastTerm="
        + core.termAt(core.lastIndex())
        + " voted="
        + core.votedFor()
        + " config@"
        + core.configIndex()
        + "="
        + core.cluster();
  }

  long nowMs() {
    return events.nowMs();
  }

  private final class MembershipCluster implements SimMembership.Cluster {
    @Override
    public SimServer leader() {
      return currentLeader();
    }

    @Override
    public SimServer node(long id) {
      return byId[(int) id];
    }

    @Override
    public List<SimServer> nodes() {
      return List.copyOf(nodes);
    }

    @Override
    public SimLeaderLink joinerLink() {
      return new SimLeaderLink(SimLeaderLink.JOINER_HOST, network, events, id -> byId[(int) id]);
    }

    @Override
    public void startJoiner(Identity identity) {
      SimServer n = addNode(identity);
      invariants.joined(identity.initialMembership().config());
      start(n);
    }

    @Override
    public void stopForGood(SimServer node) {
      node.stop();
    }

    @Override
    public void after(long delayMs, Runnable action) {
      at(nowMs() + delayMs, action);
    }
  }

  private final class NetworkEvents implements SimNetwork.Scheduler {
    @Override
    public void deliverAt(long timeMs, SimNetwork.Envelope envelope) {
      at(timeMs, () -> deliver(envelope));
    }

    @Override
    public void snapshotFailedAt(long timeMs, dev.ballot.raft.Message.InstallSnapshot snapshot) {
      SimServer sender = byId[(int) snapshot.from()];
      if (sender.isUp()) {
        sender.after(timeMs - nowMs(), () -> sender.driver.snapshotSendFailed(snapshot.to()));
      }
    }
  }

  private final class Listener implements SimServer.Listener {
    @Override
    public void send(SimServer from, SimNetwork.Envelope envelope) {
      network.send(nowMs(), envelope);
    }

    @Override
    public void stepped(SimServer server) {
      invariants.checkNode(server.core);
    }

    @Override
    public void entriesWritten(SimServer node, List<Entry> entries) {
      // Record what the core committed in this same batch before judging what it appended.
      invariants.checkNode(node.core);
      invariants.entriesWritten(node.core, entries);
    }

    @Override
    public void applied(SimServer node, Entry entry, boolean written) {
      // The apply loop may run before the driver's next turn: record what the core committed
      // before checking what it applies.
      invariants.checkNode(node.core);
      if (written) {
        invariants.applied(node.id, entry, node.store.hash());
      } else {
        invariants.applied(node.id, entry);
      }
      if (membership != null && entry.type() == EntryType.CONFIG) {
        membership.committed(
            entry.index(), Membership.decode(ConfigEntry.decode(entry.data()).context()));
      }
    }

    @Override
    public void appliedEmpty(SimServer node, long index) {
      invariants.checkNode(node.core);
      invariants.appliedEmpty(node.id, index, node.store.hash());
    }

    @Override
    public void snapshotTaken(SimServer node, SnapshotMeta meta) {
      invariants.snapshotTaken(node.id, meta);
    }

    @Override
    public void snapshotInstalled(SimServer node, SnapshotMeta meta) {
      snapshotsInstalled++;
      invariants.snapshotInstalled(node.id, meta, node.store.hash());
    }

    @Override
    public void hardStateSynced(SimServer node, HardState hardState) {
      invariants.hardStateSynced(node.id, hardState);
    }

    @Override
    public void becameLeader(SimServer node) {
      SimServer server = node;
      if (membership != null) {
        membership.becameLeader(server);
      }
      if (mix == FaultMix.LEADER_CHURN && !healed && random.nextInt(4) != 0) {
        at(nowMs() + 1 + random.nextInt(40), () -> strikeNewLeader(server));
      }
    }
  }
}
