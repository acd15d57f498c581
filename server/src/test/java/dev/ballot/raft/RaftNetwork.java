package dev.ballot.raft;

import dev.ballot.storage.InMemoryRaftStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;

/**
 * Raft cores 1..N wired by an in-memory network that the test drives event by event. Messages wait
 * in one FIFO queue until delivered; a partition or a drop rule loses them, a hold rule parks them
 * until the test lets them through. Each node's Ready is handled as a real driver would: persist to
 * the node's storage (synced), queue the messages, apply the committed entries, then advance.
 *
 * <p>After every event it checks two safety invariants: at most one leader per term, and no two
 * nodes apply different entries at the same index.
 */
final class RaftNetwork {
  /** Work done on one node between two Readies, e.g. {@code n -> n.reportUnreachable(2)}. */
  interface NodeAction {
    void run(RaftNode node) throws Exception;
  }

  private static final int MAX_DELIVERIES = 1_000_000;

  private final long seed;
  private final UnaryOperator<RaftConfig.Builder> tuning;
  private final TreeMap<Long, RaftNode> nodes = new TreeMap<>();

  /** What each node was started with before any CONFIG entry: used again at every restart. */
  private final TreeMap<Long, ClusterConfig> initialConfigs = new TreeMap<>();

  private final TreeMap<Long, InMemoryRaftStorage> storages = new TreeMap<>();
  private final TreeMap<Long, List<Entry>> applied = new TreeMap<>();
  private final TreeMap<Long, List<ReadState>> readStates = new TreeMap<>();
  private final TreeMap<Long, SnapshotMeta> installedSnapshots = new TreeMap<>();

  private final ArrayDeque<Message> inFlight = new ArrayDeque<>();
  private final List<Message> held = new ArrayList<>();
  private final List<Message> sent = new ArrayList<>();
  private final TreeMap<Long, Integer> sideOf = new TreeMap<>();
  private Predicate<Message> dropRule = m -> false;
  private Predicate<Message> holdRule = m -> false;

  private final TreeMap<Long, Long> leaderOfTerm = new TreeMap<>();
  private final TreeMap<Long, Entry> appliedAtIndex = new TreeMap<>();
  private int restarts;

  private RaftNetwork(
      long seed, List<RestoredState> states, UnaryOperator<RaftConfig.Builder> tuning) {
    this.seed = seed;
    this.tuning = tuning;
    ClusterConfig cluster =
        ClusterConfig.ofVoters(LongStream.rangeClosed(1, states.size()).boxed().toList());
    for (long id = 1; id <= states.size(); id++) {
      startNode(id, cluster, states.get((int) id - 1));
    }
    nodes.keySet().forEach(this::handleReady);
  }

  private void startNode(long id, ClusterConfig initialConfig, RestoredState state) {
    InMemoryRaftStorage storage = new InMemoryRaftStorage();
    storage.save(state.snapshot(), state.entries(), state.hardState(), true);
    storages.put(id, storage);
    initialConfigs.put(id, initialConfig);
    applied.put(id, new ArrayList<>());
    readStates.put(id, new ArrayList<>());
    nodes.put(id, new RaftNode(config(id), initialConfig, state, new Random(seed * 1000 + id)));
  }

  static RaftNetwork of(int size, long seed) {
    return of(size, seed, b -> b);
  }

  static RaftNetwork of(int size, long seed, UnaryOperator<RaftConfig.Builder> tuning) {
    List<RestoredState> empty = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      empty.add(RestoredState.empty());
    }
    return new RaftNetwork(seed, empty, tuning);
  }

  /** Nodes 1..N start from the given states, as if read back from their disks. */
  static RaftNetwork restored(
      long seed, UnaryOperator<RaftConfig.Builder> tuning, RestoredState... states) {
    return new RaftNetwork(seed, List.of(states), tuning);
  }

  RaftConfig config(long id) {
    return tuning.apply(RaftConfig.builder(id)).build();
  }

  RaftNode node(long id) {
    return nodes.get(id);
  }

  List<Long> ids() {
    return List.copyOf(nodes.keySet());
  }

  // ---------------------------------------------------------------- inputs

  void tick(long id) {
    nodes.get(id).tick();
    handleReady(id);
  }

  void tickAll() {
    for (long id : ids()) {
      tick(id);
    }
  }

  /** Ticks every node, then delivers everything, {@code ticks} times. */
  void tickAndDeliver(int ticks) {
    for (int i = 0; i < ticks; i++) {
      tickAll();
      deliverAll();
    }
  }

  /** Ticks and delivers until {@code condition} holds; returns the ticks it took. */
  int tickUntil(BooleanSupplier condition, int maxTicks) {
    for (int ticks = 0; ticks <= maxTicks; ticks++) {
      if (condition.getAsBoolean()) {
        return ticks;
      }
      tickAll();
      deliverAll();
    }
    throw new AssertionError("condition not reached in " + maxTicks + " ticks: " + this);
  }

  /**
   * Ticks node {@code id} alone (delivering after each tick) until it leads the highest term in the
   * cluster. The other nodes do not tick, so they do not compete. Returns the leader's term.
   */
  long elect(long id) {
    int maxTicks = 10 * 2 * config(id).electionTimeoutTicks();
    for (int ticks = 0; ticks <= maxTicks; ticks++) {
      deliverAll();
      if (leadsLatestTerm(id)) {
        return node(id).term();
      }
      tick(id);
    }
    throw new AssertionError("node " + id + " did not become leader: " + this);
  }

  long propose(long id, String... commands) throws ProposalRejectedException {
    byte[][] bytes = new byte[commands.length][];
    for (int i = 0; i < commands.length; i++) {
      bytes[i] = commands[i].getBytes(StandardCharsets.UTF_8);
    }
    return propose(id, bytes);
  }

  long propose(long id, byte[]... commands) throws ProposalRejectedException {
    long last = nodes.get(id).propose(Arrays.asList(commands));
    handleReady(id);
    return last;
  }

  void readIndex(long id, long context) throws ProposalRejectedException {
    nodes.get(id).readIndex(context);
    handleReady(id);
  }

  /** Runs {@code action} on node {@code id}, then handles the Ready it caused. */
  void on(long id, NodeAction action) throws Exception {
    action.run(nodes.get(id));
    handleReady(id);
  }

  /** The driver snapshots node {@code id}'s state machine at {@code index} and compacts to it. */
  void compact(long id, long index) {
    RaftNode n = nodes.get(id);
    SnapshotMeta snapshot = new SnapshotMeta(index, n.termAt(index), n.configAt(index));
    n.compact(snapshot, index);
    storages.get(id).saveSnapshotMeta(snapshot);
    storages.get(id).compact(index);
    handleReady(id);
  }

  /**
   * Node {@code id} crashes and starts again from its storage: a new core, an empty state machine
   * that re-applies the committed log. Messages in flight to it stay in flight.
   */
  void restart(long id) {
    InMemoryRaftStorage storage = storages.get(id);
    storage.crash();
    restarts++;
    RestoredState state = storage.load();
    applied.put(id, new ArrayList<>());
    nodes.put(
        id,
        new RaftNode(
            config(id),
            initialConfigs.get(id),
            state,
            new Random(seed * 1000 + restarts * 100 + id)));
    handleReady(id);
  }

  /**
   * A brand-new node {@code id} with an empty log joins, started with {@code joinConfig}: what the
   * leader told it when it registered. Until then messages to it were lost.
   */
  void addNode(long id, ClusterConfig joinConfig) {
    if (nodes.containsKey(id)) {
      throw new IllegalArgumentException("node " + id + " exists already");
    }
    startNode(id, joinConfig, RestoredState.empty());
    handleReady(id);
  }

  /** Proposes {@code next} as the new configuration on leader {@code id}; returns its index. */
  long proposeConfig(long id, ClusterConfig next) throws ProposalRejectedException {
    long index = nodes.get(id).proposeConfig(next, new byte[0]);
    handleReady(id);
    return index;
  }

  /** Puts a message on the wire as if {@code m.from()} had sent it. */
  void inject(Message m) {
    sent.add(m);
    inFlight.add(m);
  }

  // ---------------------------------------------------------------- faults

  /** Only nodes of the same group can talk; nodes in no group are cut off from everyone. */
  @SafeVarargs
  final void partition(List<Long>... groups) {
    sideOf.clear();
    int side = 1;
    for (List<Long> group : groups) {
      for (long id : group) {
        sideOf.put(id, side);
      }
      side++;
    }
    for (long id : ids()) {
      if (!sideOf.containsKey(id)) {
        sideOf.put(id, side++);
      }
    }
  }

  /** Cuts node {@code id} off from every other node. */
  void isolate(long id) {
    List<Long> rest = new ArrayList<>(ids());
    rest.remove(id);
    partition(rest);
  }

  void heal() {
    sideOf.clear();
  }

  /** Messages matching {@code rule} are lost when their turn to be delivered comes. */
  void dropIf(Predicate<Message> rule) {
    dropRule = rule;
  }

  /** Messages matching {@code rule} are parked, in order, until {@link #deliverHeld}. */
  void holdIf(Predicate<Message> rule) {
    holdRule = rule;
  }

  void stopDroppingAndHolding() {
    dropRule = m -> false;
    holdRule = m -> false;
  }

  // ---------------------------------------------------------------- delivery

  /** Delivers messages, including the ones they cause, until none is left in flight. */
  void deliverAll() {
    int deliveries = 0;
    while (!inFlight.isEmpty()) {
      if (++deliveries > MAX_DELIVERIES) {
        throw new AssertionError("the network does not settle: " + this);
      }
      deliver(inFlight.poll(), true);
    }
  }

  /** Delivers only the first message in flight that matches; the others keep their place. */
  void deliverFirst(Predicate<Message> which) {
    for (var it = inFlight.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (which.test(m)) {
        it.remove();
        deliver(m, true);
        return;
      }
    }
    throw new AssertionError("no message in flight matches; in flight: " + inFlight);
  }

  /** Delivers the held messages that match (bypassing the hold rule), then everything else. */
  void deliverHeld(Predicate<Message> which) {
    List<Message> release = held.stream().filter(which).toList();
    held.removeAll(release);
    for (Message m : release) {
      deliver(m, false);
    }
    deliverAll();
  }

  /** The held messages are lost. */
  void dropHeld() {
    held.clear();
  }

  private void deliver(Message m, boolean mayHold) {
    // A node that has not joined yet is not there to receive anything.
    if (!nodes.containsKey(m.to()) || cutOff(m.from(), m.to()) || dropRule.test(m)) {
      return;
    }
    if (mayHold && holdRule.test(m)) {
      held.add(m);
      return;
    }
    nodes.get(m.to()).step(m);
    handleReady(m.to());
  }

  /** A node added after the last partition was drawn is cut off until the next one or a heal. */
  private boolean cutOff(long a, long b) {
    return !sideOf.isEmpty()
        && (!sideOf.containsKey(a)
            || !sideOf.containsKey(b)
            || !sideOf.get(a).equals(sideOf.get(b)));
  }

  // ---------------------------------------------------------------- the driver

  private void handleReady(long id) {
    RaftNode n = nodes.get(id);
    while (n.hasReady()) {
      Ready rd = n.ready();
      if (rd.mustSync() || rd.hardState() != null) {
        storages.get(id).save(rd.snapshot(), rd.entries(), rd.hardState(), true);
      }
      sent.addAll(rd.messages());
      inFlight.addAll(rd.messages());
      if (rd.snapshot() != null) {
        installedSnapshots.put(id, rd.snapshot());
      }
      for (Entry e : rd.committedEntries()) {
        apply(id, e);
      }
      readStates.get(id).addAll(rd.readStates());
      n.advance(rd);
    }
    checkOneLeaderPerTerm(n);
  }

  private void apply(long id, Entry e) {
    Entry first = appliedAtIndex.putIfAbsent(e.index(), e);
    if (first != null && !first.equals(e)) {
      throw new AssertionError(
          "state machine safety: node "
              + id
              + " applies "
              + e
              + " where "
              + first
              + " was applied");
    }
    applied.get(id).add(e);
  }

  private void checkOneLeaderPerTerm(RaftNode n) {
    if (n.role() == Role.LEADER) {
      Long other = leaderOfTerm.putIfAbsent(n.term(), n.id());
      if (other != null && other != n.id()) {
        throw new AssertionError("two leaders in term " + n.term() + ": " + other + ", " + n.id());
      }
    }
  }

  // ---------------------------------------------------------------- observations

  boolean leadsLatestTerm(long id) {
    long maxTerm = nodes.values().stream().mapToLong(RaftNode::term).max().orElseThrow();
    return node(id).role() == Role.LEADER && node(id).term() == maxTerm;
  }

  /** Every message any node has sent so far, in order (also the ones lost on the way). */
  List<Message> sent() {
    return List.copyOf(sent);
  }

  int sentCount() {
    return sent.size();
  }

  /** The messages sent since {@code mark}, a {@link #sentCount()} taken earlier. */
  List<Message> sentSince(int mark) {
    return List.copyOf(sent.subList(mark, sent.size()));
  }

  <T extends Message> List<T> sent(Class<T> type) {
    return sent.stream().filter(type::isInstance).map(type::cast).toList();
  }

  List<Message> inFlight() {
    return List.copyOf(inFlight);
  }

  List<Message> held() {
    return List.copyOf(held);
  }

  /** The entries node {@code id}'s state machine applied since it (re)started, in order. */
  List<Entry> applied(long id) {
    return List.copyOf(applied.get(id));
  }

  List<String> appliedCommands(long id) {
    return applied.get(id).stream()
        .filter(e -> e.type() == EntryType.NORMAL)
        .map(e -> new String(e.data(), StandardCharsets.UTF_8))
        .toList();
  }

  List<ReadState> readStates(long id) {
    return List.copyOf(readStates.get(id));
  }

  SnapshotMeta installedSnapshot(long id) {
    return installedSnapshots.get(id);
  }

  // ---------------------------------------------------------------- message filters

  static Predicate<Message> to(long id) {
    return m -> m.to() == id;
  }

  static Predicate<Message> from(long id) {
    return m -> m.from() == id;
  }

  static Predicate<Message> ofType(Class<? extends Message> type) {
    return type::isInstance;
  }

  @Override
  public String toString() {
    return "RaftNetwork[seed=" + seed + " " + nodes.values() + "]";
  }
}
