package dev.ballot.node;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.Message;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.ReadState;
import dev.ballot.raft.Ready;
import dev.ballot.raft.Role;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.raft.SoftState;
import dev.ballot.storage.RaftStorage;
import dev.ballot.transport.PeerInbox;
import dev.ballot.transport.Transport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one Raft core: ticks it from its clock, feeds it peer messages, client proposals and
 * reads, and carries out each {@link Ready} (persist durably, send, hand the committed entries to
 * the apply loop, advance). Its loop never waits inside: while a Ready's snapshot is being
 * installed or its writes synced, it takes no other input and resumes when told. Who runs the loop
 * is injected ({@link DriverRuntime}): a thread in a server, events in the simulation. Every public
 * method but {@link #start} and {@link #close} may be called from any thread; it only enqueues into
 * the driver's bounded inboxes.
 *
 * @param <R> the result of applying one command
 */
public final class RaftDriver<R> implements PeerInbox, WorkLoop {
  private static final Logger log = LoggerFactory.getLogger(RaftDriver.class);
  private static final int MAX_PEER_INBOX = 16_384;
  private static final int MAX_REQUEST_INBOX = 16_384;

  /** Command bytes waiting in the request inbox; beyond it proposals get "too many requests". */
  static final long MAX_QUEUED_PROPOSAL_BYTES = 64L << 20;

  /** Entry bytes of messages waiting in the peer inbox; beyond it appends are dropped. */
  static final long MAX_QUEUED_PEER_BYTES = 64L << 20;

  /** Inputs handled per loop iteration, so proposals arriving together share one sync. */
  private static final int MAX_BATCH_INPUTS = 1_024;

  private sealed interface Input {}

  private record Received(Message message) implements Input {}

  private record Unreachable(long peerId) implements Input {}

  private record Propose<R>(byte[] command, CompletableFuture<R> result) implements Input {}

  private record Read(CompletableFuture<Long> readIndex) implements Input {}

  private record SnapshotTaken(SnapshotMeta snapshot) implements Input {}

  private record SnapshotSendFailed(long peerId) implements Input {}

  private record PeerGone(long peerId) implements Input {}

  /**
   * The apply loop installed the snapshot of the Ready in progress ({@code error} if it failed).
   */
  private record Installed(Throwable error) implements Input {}

  /** The writes of the Ready in progress are durable ({@code error} if they failed). */
  private record Durable(Throwable error) implements Input {}

  /** Work to run on the driver thread with the core. */
  private record Call<T>(Function<RaftNode, T> op, CompletableFuture<T> result) implements Input {}

  /**
   * The reads that arrived in one turn, asked for with one context (one ReadIndex round, and on a
   * follower one request to the leader, for all of them); re-asked if no answer comes within an
   * election timeout.
   */
  private static final class PendingRead {
    final List<CompletableFuture<Long>> futures;
    long askedAtTick;

    PendingRead(List<CompletableFuture<Long>> futures, long askedAtTick) {
      this.futures = futures;
      this.askedAtTick = askedAtTick;
    }

    boolean allDone() {
      for (CompletableFuture<Long> f : futures) {
        if (!f.isDone()) {
          return false;
        }
      }
      return true;
    }

    void complete(long readIndex) {
      futures.forEach(f -> f.complete(readIndex));
    }

    void fail(Throwable error) {
      futures.forEach(f -> f.completeExceptionally(error));
    }
  }

  /** A Ready being carried out while the driver waits for its install or its sync. */
  private static final class InProgress {
    final Ready ready;
    final List<Message> afterSync;
    long syncStartedNanos;

    InProgress(Ready ready, List<Message> afterSync) {
      this.ready = ready;
      this.afterSync = afterSync;
    }

    void synced(NodeMetrics metrics, LongSupplier clock) {
      metrics.logSynced(clock.getAsLong() - syncStartedNanos, ready.entries().size());
    }
  }

  private final RaftNode node;
  private final RaftStorage storage;
  private final LogWriter logWriter;
  private final NodeRunner runner;
  private final Transport transport;
  private final Applier<R> applier;
  private final LongSupplier nanoClock;
  private final long tickNanos;
  private final int electionTicks;

  /**
   * The most ticks a late turn replays (the heartbeat interval); a turn later than that drops the
   * rest, see {@link #turn}.
   */
  private final int stallTicks;

  /** Peer traffic has its own queue, so a flood of client requests cannot starve heartbeats. */
  private final Inbox<Input> peerInbox = new Inbox<>(MAX_PEER_INBOX);

  private final Inbox<Input> requestInbox = new Inbox<>(MAX_REQUEST_INBOX);

  private final ByteBudget queuedProposalBytes =
      new ByteBudget("proposals in the request inbox", MAX_QUEUED_PROPOSAL_BYTES);
  private final ByteBudget queuedPeerBytes =
      new ByteBudget("entries in the peer inbox", MAX_QUEUED_PEER_BYTES);

  /**
   * Snapshot events from the apply and sender threads; never dropped, and few (one per snapshot
   * taken, one per failed send, at most a couple at a time).
   */
  private final Queue<Input> controlInbox = new ConcurrentLinkedQueue<>();

  private final SnapshotPolicy snapshotPolicy;
  private final LogCompactor compactor;

  /** Completions of the install or sync the driver waits for; at most one at a time. */
  private final Queue<Input> completions = new ConcurrentLinkedQueue<>();

  private final Map<Long, PendingRead> pendingReads = new TreeMap<>();

  /** Reused by every turn of the loop (driver thread only). */
  private final List<Input> turnInputs = new ArrayList<>(MAX_BATCH_INPUTS);

  private final List<Propose<R>> turnProposals = new ArrayList<>();
  private List<CompletableFuture<Long>> turnReads = new ArrayList<>();

  /** Futures waiting for a leader other than the one named (NONE: any leader), in a later term. */
  private final Map<CompletableFuture<Void>, LeaderWatch> leaderWatchers = new LinkedHashMap<>();

  private record LeaderWatch(long notLeader, long afterTerm) {
    boolean satisfiedBy(NodeStatus s) {
      return s.leaderId() != RaftNode.NONE && s.leaderId() != notLeader && s.term() > afterTerm;
    }
  }

  private final Consumer<Throwable> onFatal;

  private volatile Consumer<Entry> onConfigAppended = e -> {};
  private volatile NodeMetrics metrics = NodeMetrics.NONE;

  /** The core's campaign counts last told to the metrics (driver thread). */
  private long reportedPreVotes;

  private long reportedElections;
  private long reportedWins;
  private volatile NodeStatus status;
  private volatile boolean running = true;
  private volatile boolean done;
  private long ticks;
  private long nextTickNanos;
  private InProgress inProgress;

  /** Random start: a late answer to a previous incarnation's read cannot match a new one. */
  private long nextReadContext;

  /**
   * @param transportFactory builds the transport once the driver exists (it is the inbox)
   * @param runtime runs the loops, makes writes durable, tells the time, gives randomness
   */
  public RaftDriver(
      RaftNode node,
      RaftStorage storage,
      Function<PeerInbox, Transport> transportFactory,
      StateMachine<R> stateMachine,
      SnapshotPolicy snapshotPolicy,
      long tickMs,
      int electionTicks,
      DriverRuntime runtime,
      Consumer<Throwable> onFatal) {
    this.node = node;
    this.storage = storage;
    this.logWriter = runtime.logWriter();
    this.runner = runtime.runner();
    this.nanoClock = runtime.nanoClock();
    this.nextReadContext = runtime.random().nextLong() & (Long.MAX_VALUE >>> 1);
    this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMs);
    this.electionTicks = electionTicks;
    this.stallTicks = node.config().heartbeatIntervalTicks();
    this.transport = transportFactory.apply(this);
    this.snapshotPolicy = snapshotPolicy;
    this.onFatal = onFatal;
    this.compactor = new LogCompactor(storage, runner.background(), this::fence);
    this.applier =
        new Applier<>(
            stateMachine,
            this::fence,
            snapshotPolicy.snapshotEveryEntries(),
            meta -> offerControl(new SnapshotTaken(meta)),
            runner);
    publishStatus();
  }

  /**
   * A failure on the apply loop or in compaction stops the driver too, before it sends another
   * message: a node whose disk fails acknowledges nothing more.
   */
  private void fence(Throwable error) {
    running = false;
    runner.wake(this);
    onFatal.accept(error);
  }

  /** Sets where the driver and its apply loop report their work. Set it before {@link #start()}. */
  public void metrics(NodeMetrics metrics) {
    this.metrics = metrics;
    applier.metrics(metrics, nanoClock);
    metrics.statusChanged(null, status);
  }

  /**
   * Sets who is told, on the driver thread, of each configuration entry added to this node's log
   * (before any message that depends on it is sent). Set it before {@link #start()}.
   */
  public void onConfigAppended(Consumer<Entry> listener) {
    this.onConfigAppended = listener;
  }

  /**
   * Runs {@code op} with the core on the driver thread (between Readies) and completes with its
   * result, or exceptionally with what it threw. For membership changes and inspection; keep it
   * short.
   */
  public <T> CompletableFuture<T> call(Function<RaftNode, T> op) {
    CompletableFuture<T> result = new CompletableFuture<>();
    if (!running) {
      result.completeExceptionally(stopped());
    } else if (!offerRequest(new Call<>(op, result))) {
      result.completeExceptionally(
          new NodeException(NodeException.Kind.OVERLOADED, 0, "too many pending requests"));
    }
    return result;
  }

  public void start() {
    nextTickNanos = nanoClock.getAsLong() + tickNanos;
    runner.start(this, applier);
  }

  // ------------------------------------------------------------------ inputs (any thread)

  @Override
  public void receive(Message message) {
    long bytes = entryBytes(message);
    if (bytes > 0 && applier.isBacklogFull()) {
      // Entries this node could not apply soon: refuse them (the leader sends them again) rather
      // than hold them; heartbeats and votes still pass, so the node stays a live member.
      return;
    }
    // A full inbox drops the message; Raft retransmits.
    if (!queuedPeerBytes.tryTake(bytes)) {
      return;
    }
    if (peerInbox.offer(new Received(message))) {
      runner.wake(this);
    } else {
      queuedPeerBytes.giveBack(bytes);
    }
  }

  /** The entry payload a message carries: what it costs to hold in a queue. */
  private static long entryBytes(Message message) {
    if (!(message instanceof Message.AppendEntries append)) {
      return 0;
    }
    long bytes = 0;
    for (Entry e : append.entries()) {
      bytes += e.data().length;
    }
    return bytes;
  }

  @Override
  public void peerUnreachable(long peerId) {
    if (peerInbox.offer(new Unreachable(peerId))) {
      runner.wake(this);
    }
  }

  @Override
  public void snapshotSendFailed(long peerId) {
    metrics.snapshotSent(false);
    offerControl(new SnapshotSendFailed(peerId));
  }

  @Override
  public void snapshotSent(long peerId) {
    metrics.snapshotSent(true);
  }

  @Override
  public void peerGone(long peerId) {
    offerControl(new PeerGone(peerId));
  }

  private void offerControl(Input input) {
    controlInbox.add(input);
    runner.wake(this);
  }

  private boolean offerRequest(Input input) {
    if (requestInbox.offer(input)) {
      runner.wake(this);
      return true;
    }
    return false;
  }

  /**
   * Proposes one command. Completes with the state machine's result once applied, or exceptionally
   * with a {@link NodeException} when it was refused (nothing written).
   */
  public CompletableFuture<R> propose(byte[] command) {
    CompletableFuture<R> result = new CompletableFuture<>();
    if (!running) {
      result.completeExceptionally(stopped());
    } else if (!queuedProposalBytes.tryTake(command.length)) {
      result.completeExceptionally(
          new NodeException(
              NodeException.Kind.OVERLOADED,
              0,
              "proposals waiting for the driver hold "
                  + queuedProposalBytes.usedBytes()
                  + " bytes"));
    } else if (!offerRequest(new Propose<>(command, result))) {
      queuedProposalBytes.giveBack(command.length);
      result.completeExceptionally(
          new NodeException(NodeException.Kind.OVERLOADED, 0, "too many pending requests"));
    }
    return result;
  }

  /**
   * Starts a linearizable read: completes with an index such that state applied up to it reflects
   * every write acknowledged before this call. Wait for it with {@link #whenApplied}.
   */
  public CompletableFuture<Long> readIndex() {
    CompletableFuture<Long> index = new CompletableFuture<>();
    if (!running) {
      index.completeExceptionally(stopped());
    } else if (requestInbox.offer(new Read(index))) {
      runner.wakeAfterBatch(this);
    } else {
      index.completeExceptionally(
          new NodeException(NodeException.Kind.OVERLOADED, 0, "too many pending requests"));
    }
    return index;
  }

  /** Completes once the state machine has applied {@code index}. */
  public CompletableFuture<Long> whenApplied(long index) {
    return applier.whenApplied(index);
  }

  public long appliedIndex() {
    return applier.appliedIndex();
  }

  public NodeStatus status() {
    return status;
  }

  /** Completes when this node knows a leader (at once if it does); time it out to give up. */
  public CompletableFuture<Void> whenLeaderKnown() {
    return watchLeader(new LeaderWatch(RaftNode.NONE, -1));
  }

  /**
   * Completes when this node knows a leader other than {@code leader} in a term after {@code term}:
   * {@code leader}'s leadership is over. Cancel it (or time it out) to stop watching.
   */
  public CompletableFuture<Void> whenLeaderReplaced(long leader, long term) {
    return watchLeader(new LeaderWatch(leader, term));
  }

  private CompletableFuture<Void> watchLeader(LeaderWatch watch) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (leaderWatchers) {
      if (watch.satisfiedBy(status)) {
        f.complete(null);
        return f;
      }
      leaderWatchers.put(f, watch);
    }
    f.whenComplete(
        (v, t) -> {
          synchronized (leaderWatchers) {
            leaderWatchers.remove(f);
          }
        });
    return f;
  }

  // ------------------------------------------------------------------ the loop (driver thread)

  @Override
  public boolean isDone() {
    return done;
  }

  /** One turn of the loop; see {@link WorkLoop#runOnce()}. */
  @Override
  public long runOnce() {
    if (done) {
      return NO_DEADLINE;
    }
    try {
      long waitNanos = turn();
      if (!running) {
        failOutstanding();
        return NO_DEADLINE;
      }
      return waitNanos;
    } catch (RuntimeException | Error e) {
      // A failed write or sync is never retried: the Ready's messages are not sent, its entries
      // not applied, and the node stops (see DiskFailureException).
      FatalErrors.log(log, "raft driver", e);
      failOutstanding();
      onFatal.accept(e);
    }
    return NO_DEADLINE;
  }

  private long turn() {
    if (!running) {
      return NO_DEADLINE; // stopped or fenced: nothing more is sent, stepped or proposed
    }
    if (inProgress != null && !resume()) {
      return NO_DEADLINE; // woken by the completion
    }
    long now = nanoClock.getAsLong();
    if (now - nextTickNanos >= 0) {
      if (now - nextTickNanos >= stallTicks * tickNanos) {
        // The loop stalled (a GC pause, the machine stuck behind its disk, SIGSTOP): it replays
        // one heartbeat interval of ticks for all that time, as etcd's loop counts one tick (its
        // heartbeat interval) however many its ticker dropped, so a leader heartbeats at once.
        // Replayed whole, the ticks would run before this process's network thread, stalled too,
        // hands over the heartbeats that came meanwhile: followers stalled together would time
        // out together and depose a leader that never stopped.
        nextTickNanos = now - (stallTicks - 1) * tickNanos;
      }
      node.tick();
      ticks++;
      nextTickNanos += tickNanos;
      retryStaleReads();
    }
    List<Input> batch = turnInputs;
    for (Input c; (c = controlInbox.poll()) != null; ) {
      batch.add(c);
    }
    peerInbox.drainTo(batch, MAX_BATCH_INPUTS);
    requestInbox.drainTo(batch, MAX_BATCH_INPUTS);
    if (!batch.isEmpty()) {
      handle(batch);
      batch.clear();
    }
    while (running && inProgress == null && node.hasReady()) {
      start(node.ready());
    }
    if (inProgress != null) {
      return NO_DEADLINE;
    }
    if (!peerInbox.isEmpty() || !requestInbox.isEmpty() || !controlInbox.isEmpty()) {
      return 0;
    }
    return Math.max(0, nextTickNanos - nanoClock.getAsLong());
  }

  @SuppressWarnings("unchecked")
  private void handle(List<Input> batch) {
    List<Propose<R>> proposals = turnProposals;
    for (Input input : batch) {
      if (input instanceof Received r) {
        queuedPeerBytes.giveBack(entryBytes(r.message()));
        node.step(r.message());
      } else if (input instanceof Unreachable u) {
        node.reportUnreachable(u.peerId());
      } else if (input instanceof Propose<?> p) {
        queuedProposalBytes.giveBack(p.command().length);
        if (!p.result().isDone()) {
          proposals.add((Propose<R>) p);
        }
      } else if (input instanceof Read r) {
        if (!r.readIndex().isDone()) {
          turnReads.add(r.readIndex());
        }
      } else if (input instanceof SnapshotTaken t) {
        snapshotTaken(t.snapshot());
      } else if (input instanceof SnapshotSendFailed f) {
        node.reportSnapshotFailure(f.peerId());
      } else if (input instanceof PeerGone g) {
        node.reportPeerGone(g.peerId());
      } else if (input instanceof Call<?> c) {
        runCall(c);
      }
    }
    if (!proposals.isEmpty()) {
      proposeAll(proposals);
      proposals.clear();
    }
    if (!turnReads.isEmpty()) {
      startRead(turnReads);
      turnReads = new ArrayList<>();
    }
  }

  /**
   * The apply thread took a snapshot: record it, let the core drop the log below the catch-up
   * window, and delete that part of the stored log in the background.
   */
  private void snapshotTaken(SnapshotMeta snapshot) {
    SnapshotMeta current = node.latestSnapshot();
    if (current != null && snapshot.index() <= current.index()) {
      return; // a leader's snapshot was installed meanwhile
    }
    if (node.termAt(snapshot.index()) != snapshot.term()) {
      log.warn("snapshot does not match the log, not compacting snapshot={}", snapshot);
      return;
    }
    storage.saveSnapshotMeta(snapshot);
    metrics.snapshotTaken();
    long compactIndex = Math.max(0, snapshot.index() - snapshotPolicy.catchUpEntries());
    node.compact(snapshot, compactIndex);
    if (compactIndex > 0) {
      compactor.compactThrough(compactIndex);
    }
  }

  private void proposeAll(List<Propose<R>> proposals) {
    if (applier.isBacklogFull()) {
      // Committed entries wait to be applied: take no more until the apply thread catches up.
      NodeException full =
          new NodeException(
              NodeException.Kind.OVERLOADED,
              0,
              "committed entries waiting to be applied hold " + applier.backlogBytes() + " bytes");
      proposals.forEach(p -> p.result().completeExceptionally(full));
      metrics.proposalsRefused(proposals.size());
      return;
    }
    List<byte[]> commands = new ArrayList<>(proposals.size());
    proposals.forEach(p -> commands.add(p.command()));
    long lastIndex;
    try {
      lastIndex = node.propose(commands);
    } catch (ProposalRejectedException e) {
      NodeException refusal = refusal(e);
      proposals.forEach(p -> p.result().completeExceptionally(refusal));
      metrics.proposalsRefused(proposals.size());
      return;
    }
    long term = node.term();
    long index = lastIndex - proposals.size() + 1;
    long now = nanoClock.getAsLong();
    for (Propose<R> p : proposals) {
      applier.expect(index++, term, p.result(), now);
    }
    metrics.proposed(proposals.size());
  }

  private void startRead(List<CompletableFuture<Long>> futures) {
    long context = ++nextReadContext;
    PendingRead read = new PendingRead(futures, ticks);
    try {
      node.readIndex(context);
    } catch (ProposalRejectedException e) {
      read.fail(refusal(e));
      return;
    }
    pendingReads.put(context, read);
  }

  /** A forwarded read or its answer may be lost; ask again rather than wait for the deadline. */
  private void retryStaleReads() {
    if (pendingReads.isEmpty()) {
      return;
    }
    Iterator<Map.Entry<Long, PendingRead>> it = pendingReads.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, PendingRead> e = it.next();
      PendingRead read = e.getValue();
      if (read.allDone()) {
        it.remove();
      } else if (ticks - read.askedAtTick >= electionTicks) {
        read.askedAtTick = ticks;
        try {
          node.readIndex(e.getKey());
        } catch (ProposalRejectedException ex) {
          read.fail(refusal(ex));
          it.remove();
        }
      }
    }
  }

  private <T> void runCall(Call<T> c) {
    try {
      c.result().complete(c.op().apply(node));
    } catch (RuntimeException e) {
      c.result().completeExceptionally(e);
    }
  }

  /** The core refused a proposal, a read or a membership change: what the caller sees. */
  public static NodeException refusal(ProposalRejectedException e) {
    return switch (e.reason()) {
      case NOT_LEADER ->
          e.leaderHint() == RaftNode.NONE
              ? new NodeException(NodeException.Kind.NO_LEADER, 0, e.getMessage())
              : new NodeException(NodeException.Kind.NOT_LEADER, e.leaderHint(), e.getMessage());
      case TOO_MANY_UNCOMMITTED_BYTES ->
          new NodeException(NodeException.Kind.OVERLOADED, 0, e.getMessage());
        // Nothing was written; the client retries and finds the new leader.
      case LEADERSHIP_TRANSFER ->
          new NodeException(NodeException.Kind.HANDING_OVER, 0, e.getMessage());
      case CONFIG_CHANGE_PENDING, INVALID_CONFIG_CHANGE ->
          new NodeException(NodeException.Kind.CONFIG_REFUSED, e.leaderHint(), e.getMessage());
    };
  }

  /** Begins carrying out {@code rd}; it may finish later, once an install or a sync completes. */
  private void start(Ready rd) {
    for (Entry e : rd.entries()) {
      if (e.type() == EntryType.CONFIG) {
        onConfigAppended.accept(e); // the transport learns new members before we send to them
      }
    }
    boolean leader = node.role() == Role.LEADER;
    List<Message> afterSync = new ArrayList<>(rd.messages().size());
    for (Message m : rd.messages()) {
      if (sendsBeforeSync(m, leader)) {
        transport.send(m);
      } else {
        afterSync.add(m);
      }
    }
    inProgress = new InProgress(rd, afterSync);
    if (rd.snapshot() != null) {
      // The leader's snapshot replaces the state (after the entries already queued), crash-safely;
      // only then is it persisted as the log's start and acknowledged.
      log.info(
          "installing snapshot node={} index={} term={}",
          node.id(),
          rd.snapshot().index(),
          rd.snapshot().term());
      metrics.snapshotInstalled();
      applier.install(rd.snapshot()).whenComplete((v, error) -> complete(new Installed(error)));
      return;
    }
    persist();
  }

  /**
   * Whether {@code m} may leave before the Ready's writes are durable: a leader's replication (it
   * counts its own copy only after advance() reports it synced), never a vote or an
   * acknowledgement, which promise what is on disk.
   */
  private static boolean sendsBeforeSync(Message m, boolean leader) {
    return leader && (m instanceof Message.AppendEntries || m instanceof Message.Heartbeat);
  }

  /** Feeds the driver the completion it waits for. */
  private void complete(Input completion) {
    completions.add(completion);
    runner.wake(this);
  }

  /** Goes on with the Ready in progress if what it waits for has completed; false if not yet. */
  private boolean resume() {
    Input completion = completions.poll();
    if (completion == null) {
      return false;
    }
    if (completion instanceof Installed i) {
      if (i.error() != null) {
        throw new IllegalStateException(
            "snapshot install failed: " + inProgress.ready.snapshot(), i.error());
      }
      persist();
    } else if (completion instanceof Durable d) {
      if (d.error() != null) {
        throw new IllegalStateException("log write failed", d.error());
      }
      inProgress.synced(metrics, nanoClock);
      finish();
    }
    return inProgress == null;
  }

  private void persist() {
    Ready rd = inProgress.ready;
    if (rd.mustSync()) {
      inProgress.syncStartedNanos = nanoClock.getAsLong();
      CompletableFuture<Void> durable =
          logWriter.writeDurably(rd.snapshot(), rd.entries(), rd.hardState());
      if (!durable.isDone()) {
        durable.whenComplete((v, error) -> complete(new Durable(error)));
        return;
      }
      durable.join(); // completed: throws if the write failed
      inProgress.synced(metrics, nanoClock);
    }
    // A commit-only change is not written at all: the next synced write carries the commit index,
    // and after a restart the state machine's own applied index says what was committed (entries
    // handed to it again are skipped), while the rest is learned from the leader again.
    finish();
  }

  /** The Ready's writes are durable: send what waited for them, apply, and advance. */
  private void finish() {
    Ready rd = inProgress.ready;
    for (Message m : inProgress.afterSync) {
      transport.send(m);
    }
    applier.enqueue(rd.committedEntries());
    for (ReadState rs : rd.readStates()) {
      PendingRead read = pendingReads.remove(rs.context());
      if (read != null) {
        read.complete(rs.readIndex());
      }
    }
    if (rd.softState() != null) {
      logRoleChange(rd.softState());
    }
    inProgress = null;
    node.advance(rd);
    publishStatus();
  }

  private void logRoleChange(SoftState soft) {
    NodeStatus before = status;
    if (before.role() != soft.role() || before.leaderId() != soft.leaderId()) {
      log.info(
          "raft state node={} role={} term={} leader={}",
          node.id(),
          soft.role(),
          node.term(),
          soft.leaderId());
    }
    if (soft.role() != Role.LEADER) {
      // Reads this node confirmed as leader die with its leadership; ask again through the new one.
      pendingReads.values().forEach(r -> r.askedAtTick = Long.MIN_VALUE / 2);
    }
  }

  private void publishStatus() {
    NodeStatus previous = status;
    status =
        new NodeStatus(
            node.id(),
            node.role(),
            node.leaderId(),
            node.term(),
            node.commitIndex(),
            node.lastIndex());
    // A watcher waits for a leader or a term it did not see when it registered: only a change of
    // either can satisfy one, so most turns skip the scan.
    boolean leaderOrTermChanged =
        previous == null
            || previous.leaderId() != node.leaderId()
            || previous.term() != node.term();
    if (previous != null && (leaderOrTermChanged || previous.role() != node.role())) {
      metrics.statusChanged(previous, status);
    }
    if (node.preVotesStarted() != reportedPreVotes
        || node.electionsStarted() != reportedElections
        || node.electionsWon() != reportedWins) {
      metrics.campaigns(
          node.preVotesStarted() - reportedPreVotes,
          node.electionsStarted() - reportedElections,
          node.electionsWon() - reportedWins);
      reportedPreVotes = node.preVotesStarted();
      reportedElections = node.electionsStarted();
      reportedWins = node.electionsWon();
    }
    if (node.leaderId() != RaftNode.NONE && leaderOrTermChanged) {
      List<CompletableFuture<Void>> ready = new ArrayList<>();
      NodeStatus now = status;
      synchronized (leaderWatchers) {
        for (var it = leaderWatchers.entrySet().iterator(); it.hasNext(); ) {
          var watcher = it.next();
          if (watcher.getValue().satisfiedBy(now)) {
            ready.add(watcher.getKey());
            it.remove();
          }
        }
      }
      ready.forEach(f -> f.complete(null));
    }
  }

  private void failOutstanding() {
    running = false;
    done = true;
    NodeException stopped = stopped();
    pendingReads.values().forEach(r -> r.fail(stopped));
    turnReads.forEach(f -> f.completeExceptionally(stopped));
    pendingReads.clear();
    List<Input> rest = new ArrayList<>();
    requestInbox.drainTo(rest, Integer.MAX_VALUE);
    for (Input input : rest) {
      if (input instanceof Propose<?> p) {
        p.result().completeExceptionally(stopped);
      } else if (input instanceof Read r) {
        r.readIndex().completeExceptionally(stopped);
      } else if (input instanceof Call<?> c) {
        c.result().completeExceptionally(stopped);
      }
    }
    applier.stop();
  }

  private static NodeException stopped() {
    return new NodeException(NodeException.Kind.STOPPED, 0, "node is shutting down");
  }

  /**
   * Stops the driver and the apply loop and waits for them.
   *
   * @return whether both stopped; if not, the storage must stay open
   */
  public boolean close() throws InterruptedException {
    running = false;
    runner.wake(this);
    applier.stop(); // even if the driver's thread is stuck, the apply loop ends
    boolean stopped = runner.awaitStopped();
    transport.close();
    return stopped;
  }
}
