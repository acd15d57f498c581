package dev.ballot.node;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.CrashPoints;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply loop: applies committed entries in log order, completes the futures of the proposals
 * they carry, and releases reads waiting for an index to be applied. It runs on its own thread in a
 * server (see {@link NodeRunner}), never on the driver's.
 *
 * <p>Snapshots are taken on the runner's snapshot executor while this loop goes on applying (a
 * RocksDB checkpoint flushes every memtable, tens of milliseconds to a second): the snapshot holds
 * the state at the index applied when it was asked for or a later one, and learns the term of that
 * index from {@link #termStarts}. A leader's snapshot is installed only while no take runs.
 */
final class Applier<R> implements WorkLoop {
  private static final Logger log = LoggerFactory.getLogger(Applier.class);

  /**
   * What an entry costs in the backlog beyond its payload, so that entries without one (no-ops,
   * configuration) count too and the queue is bounded in number as well as in bytes.
   */
  static final long ENTRY_OVERHEAD_BYTES = 64;

  /**
   * Entry bytes committed but not yet applied. Beyond it the driver refuses proposals and drops
   * incoming entries instead of queueing more, so the queue stays bounded without the driver (and
   * its heartbeats) ever waiting on the apply thread.
   */
  static final long MAX_BACKLOG_BYTES = 64L << 20;

  private sealed interface Work {}

  private record Apply(List<Entry> entries) implements Work {}

  private record Install(SnapshotMeta snapshot, CompletableFuture<Void> done) implements Work {}

  private record Stop() implements Work {}

  /** A proposal in the log at {@code index}, made in {@code term}. */
  record Pending<R>(long term, CompletableFuture<R> future) {}

  private volatile NodeMetrics metrics = NodeMetrics.NONE;
  private volatile LongSupplier nanoClock = System::nanoTime;
  private final StateMachine<R> stateMachine;
  private final Consumer<Throwable> onFatal;

  /** Never full: the byte budget below bounds it, and the driver never waits to add to it. */
  private final Queue<Work> queue = new ConcurrentLinkedQueue<>();

  private final ByteBudget backlog =
      new ByteBudget("committed entries waiting to be applied", MAX_BACKLOG_BYTES);
  private final long snapshotEveryEntries;
  private final Consumer<SnapshotMeta> onSnapshot;
  private final NodeRunner runner;

  /** The index of the newest snapshot taken or installed (written by either thread). */
  private volatile long snapshotIndex;

  /** Whether a take runs: set by the apply thread, cleared by the snapshot thread when it ends. */
  private volatile boolean taking;

  /**
   * The term of every entry applied since the take in progress was asked for (or the last one was),
   * by the index where each term starts: the take learns only afterwards which index it holds.
   */
  private final ConcurrentSkipListMap<Long, Long> termStarts = new ConcurrentSkipListMap<>();

  /** The term of the last entry the apply thread recorded in {@link #termStarts}. */
  private long lastTerm = -1;

  private volatile boolean done;
  private final ConcurrentMap<Long, Pending<R>> pending = new ConcurrentHashMap<>();
  private final PriorityQueue<Waiter> waiters = new PriorityQueue<>();
  private volatile long appliedIndex;

  /** A proposal applied at {@code index}, answered once the state machine has written it. */
  private record Answer<R>(long index, CompletableFuture<R> future, R result) {}

  /**
   * Proposals applied and not yet answered, in index order: the state machine may hold their writes
   * back until the batch ends ({@link StateMachine#endBatch}). Only the apply thread touches it.
   */
  private final ArrayDeque<Answer<R>> answers = new ArrayDeque<>();

  private record Waiter(long index, CompletableFuture<Long> future) implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter o) {
      return Long.compare(index, o.index);
    }
  }

  /**
   * @param snapshotEveryEntries take a snapshot once this many entries were applied past the last
   *     one (0: never)
   * @param onSnapshot told of each snapshot taken, on the snapshot executor
   * @param runner woken when work arrives
   */
  Applier(
      StateMachine<R> stateMachine,
      Consumer<Throwable> onFatal,
      long snapshotEveryEntries,
      Consumer<SnapshotMeta> onSnapshot,
      NodeRunner runner) {
    this.runner = runner;
    this.stateMachine = stateMachine;
    this.onFatal = onFatal;
    this.snapshotEveryEntries = snapshotEveryEntries;
    this.onSnapshot = onSnapshot;
    this.appliedIndex = stateMachine.appliedIndex();
    this.snapshotIndex = stateMachine.snapshotIndex();
    stateMachine.onWritten(this::answerWritten);
  }

  long appliedIndex() {
    return appliedIndex;
  }

  /** Set before the loops start; the clock is the driver's. */
  void metrics(NodeMetrics metrics, LongSupplier nanoClock) {
    this.metrics = metrics;
    this.nanoClock = nanoClock;
  }

  /** Registers a proposal before its entry can commit (called by the driver thread). */
  void expect(long index, long term, CompletableFuture<R> future, long proposedAtNanos) {
    pending.put(index, new Pending<>(term, future));
    future.whenComplete(
        (r, t) -> {
          // A caller that gives up must not leave its entry behind.
          pending.remove(index, new Pending<>(term, future));
          if (t == null) {
            metrics.committed(nanoClock.getAsLong() - proposedAtNanos);
          } else {
            metrics.proposalFailed();
          }
        });
  }

  /** Queues committed entries; never waits (see {@link #isBacklogFull} for back-pressure). */
  void enqueue(List<Entry> committed) {
    if (!committed.isEmpty()) {
      backlog.take(bytes(committed)); // committed: it must be applied, full or not
      queue.add(new Apply(committed));
      runner.wake(this);
    }
  }

  /** Whether the committed entries waiting to be applied fill their byte budget. */
  boolean isBacklogFull() {
    return backlog.isFull();
  }

  long backlogBytes() {
    return backlog.usedBytes();
  }

  static long bytes(List<Entry> entries) {
    long bytes = 0;
    for (Entry e : entries) {
      bytes += e.data().length + ENTRY_OVERHEAD_BYTES;
    }
    return bytes;
  }

  /**
   * Queues the install of a leader's snapshot after the entries already queued; completes once the
   * state machine holds it (exceptionally if the install failed, which also stops the node).
   */
  CompletableFuture<Void> install(SnapshotMeta snapshot) {
    CompletableFuture<Void> installed = new CompletableFuture<>();
    queue.add(new Install(snapshot, installed));
    runner.wake(this);
    return installed;
  }

  /** Completes with the applied index once it is at least {@code index}. */
  CompletableFuture<Long> whenApplied(long index) {
    long applied = appliedIndex;
    if (applied >= index) {
      return CompletableFuture.completedFuture(applied);
    }
    CompletableFuture<Long> future = new CompletableFuture<>();
    synchronized (waiters) {
      waiters.add(new Waiter(index, future));
    }
    releaseWaiters(); // the apply thread may have passed index meanwhile
    return future;
  }

  void stop() {
    queue.clear();
    queue.add(new Stop());
    runner.wake(this);
  }

  @Override
  public boolean isDone() {
    return done;
  }

  @Override
  public long runOnce() {
    if (done) {
      return NO_DEADLINE;
    }
    try {
      for (Work next; (next = queue.peek()) != null; ) {
        if (next instanceof Install && taking) {
          break; // a take reads the store: the install waits, and the take's end wakes this loop
        }
        Work work = queue.poll(); // what stop() left, if it cleared the queue meanwhile
        if (work == null) {
          break;
        }
        if (work instanceof Stop) {
          finish();
          return NO_DEADLINE;
        } else if (work instanceof Apply a) {
          long started = nanoClock.getAsLong();
          for (Entry entry : a.entries()) {
            noteTerm(entry);
            apply(entry);
            answerWritten(stateMachine.appliedIndex());
          }
          stateMachine.endBatch();
          answerWritten(stateMachine.appliedIndex());
          metrics.applied(a.entries().size(), nanoClock.getAsLong() - started);
          appliedIndex = stateMachine.appliedIndex();
          backlog.giveBack(bytes(a.entries()));
          maybeSnapshot(a.entries().get(a.entries().size() - 1));
        } else if (work instanceof Install i) {
          install(i);
        }
        releaseWaiters();
      }
    } catch (RuntimeException | Error e) {
      FatalErrors.log(log, "apply", e);
      failAnswers();
      finish();
      onFatal.accept(e);
    }
    return NO_DEADLINE;
  }

  private void finish() {
    done = true;
    failAll(new NodeException(NodeException.Kind.STOPPED, 0, "node is shutting down"));
  }

  /** Before an entry is applied (a take may see it as soon as it is written). */
  private void noteTerm(Entry entry) {
    if (entry.term() != lastTerm) {
      termStarts.put(entry.index(), entry.term());
      lastTerm = entry.term();
    }
  }

  /** Asks for a snapshot once enough entries were applied past the last one and none is taken. */
  private void maybeSnapshot(Entry last) {
    if (snapshotEveryEntries <= 0
        || taking
        || last.index() != appliedIndex
        || appliedIndex - snapshotIndex <= snapshotEveryEntries) {
      return;
    }
    termStarts.clear(); // no take reads it now
    termStarts.put(last.index(), last.term()); // lastTerm is last's already (noteTerm)
    taking = true;
    runner.snapshots().execute(this::takeSnapshot);
  }

  /** On the snapshot executor, while the apply loop goes on. */
  private void takeSnapshot() {
    try {
      if (done) {
        return;
      }
      SnapshotMeta taken = stateMachine.takeSnapshot(this::termAt);
      snapshotIndex = taken.index();
      CrashPoints.hit(CrashPoints.TAKE_BEFORE_COMPACT);
      onSnapshot.accept(taken);
    } catch (RuntimeException | Error e) {
      FatalErrors.log(log, "snapshot", e);
      stop();
      onFatal.accept(e);
    } finally {
      taking = false;
      runner.wake(this); // an install may be waiting
    }
  }

  /** The term of an entry applied since the take was asked for. */
  private long termAt(long index) {
    Map.Entry<Long, Long> start = termStarts.floorEntry(index);
    if (start == null) {
      throw new IllegalStateException(
          "snapshot at index " + index + " is older than the take's start " + termStarts);
    }
    return start.getValue();
  }

  private void install(Install work) {
    try {
      stateMachine.installSnapshot(work.snapshot());
    } catch (RuntimeException | Error e) {
      work.done().completeExceptionally(e);
      throw e;
    }
    if (stateMachine.appliedIndex() != work.snapshot().index()) {
      IllegalStateException e =
          new IllegalStateException(
              "installed snapshot "
                  + work.snapshot()
                  + " but the state machine is at "
                  + stateMachine.appliedIndex());
      work.done().completeExceptionally(e);
      throw e;
    }
    appliedIndex = stateMachine.appliedIndex();
    snapshotIndex = work.snapshot().index();
    work.done().complete(null);
  }

  private void apply(Entry entry) {
    if (entry.index() <= stateMachine.appliedIndex()) {
      return; // replayed after a restart: already in the state machine
    }
    Pending<R> waiting = pending.remove(entry.index());
    R result;
    try {
      if (entry.type() == EntryType.CONFIG) {
        stateMachine.applyConfig(entry);
        failReplaced(waiting, entry);
        return;
      }
      if (entry.type() != EntryType.NORMAL || entry.data().length == 0) {
        stateMachine.applyEmpty(entry.index());
        failReplaced(waiting, entry);
        return;
      }
      result = stateMachine.apply(entry);
    } catch (RuntimeException | Error e) {
      if (waiting != null) { // no longer in pending, so failAll would miss it
        waiting.future().completeExceptionally(stopping());
      }
      throw e;
    }
    if (waiting != null) {
      if (waiting.term() == entry.term()) {
        answers.add(new Answer<>(entry.index(), waiting.future(), result));
      } else {
        failReplaced(waiting, entry);
      }
    }
  }

  /** Answers the proposals applied up to {@code written}, which the state machine has written. */
  private void answerWritten(long written) {
    for (Answer<R> next; (next = answers.peek()) != null && next.index() <= written; ) {
      answers.poll();
      next.future().complete(next.result());
    }
  }

  /** What was applied but not written is lost with the node: those proposals fail. */
  private void failAnswers() {
    for (Answer<R> answer; (answer = answers.poll()) != null; ) {
      answer.future().completeExceptionally(stopping());
    }
  }

  private static NodeException stopping() {
    return new NodeException(NodeException.Kind.STOPPED, 0, "node is shutting down");
  }

  private static void failReplaced(Pending<?> waiting, Entry entry) {
    if (waiting != null) {
      waiting
          .future()
          .completeExceptionally(
              new NodeException(
                  NodeException.Kind.LEADER_CHANGED,
                  0,
                  "entry " + entry.index() + " was replaced by a newer leader"));
    }
  }

  private void releaseWaiters() {
    long applied = appliedIndex;
    while (true) {
      Waiter w;
      synchronized (waiters) {
        w = waiters.peek();
        if (w == null || w.index() > applied) {
          return;
        }
        waiters.poll();
      }
      w.future().complete(applied);
    }
  }

  private void failAll(NodeException e) {
    pending.values().forEach(p -> p.future().completeExceptionally(e));
    pending.clear();
    synchronized (waiters) {
      waiters.forEach(w -> w.future().completeExceptionally(e));
      waiters.clear();
    }
  }
}
