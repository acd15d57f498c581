package dev.ballot.node;

import dev.ballot.transport.CallLoop;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A server's runner: the driver's loop on {@code raft-driver-ID}, the apply loop on {@code
 * raft-apply-ID}, each parking until woken or until its next deadline, log compaction on {@code
 * raft-compact-ID} and snapshots on {@code raft-snapshot-ID}.
 *
 * <p>A wake costs a system call only when the loop may be about to park: many wakes while it runs
 * (a burst of requests, a batch of peer messages) are one flag, seen before it parks again.
 */
public final class NodeThreads implements NodeRunner {
  private static final long JOIN_MS = TimeUnit.SECONDS.toMillis(10);

  private final long nodeId;
  private final ThreadPoolExecutor background;
  private final ThreadPoolExecutor snapshots;
  private volatile Thread driverThread;
  private volatile Thread applyThread;
  private volatile WorkLoop driver;

  /** Set by a wake, cleared by the loop before each run: whether it must run again at once. */
  private final AtomicBoolean driverWoken = new AtomicBoolean();

  private final AtomicBoolean applyWoken = new AtomicBoolean();

  /**
   * Per network thread: whether a wake of the driver waits in its tasks ({@link #wakeAfterBatch}).
   * Its own: a thread whose wake is queued never holds back another's, and only it sets or clears
   * the flag, so the flag and the wake follow the thread's own order.
   */
  private final ThreadLocal<boolean[]> wakeQueuedHere =
      ThreadLocal.withInitial(() -> new boolean[1]);

  /** The longest a loop parks before it runs again, however far its next deadline. */
  private final long maxParkNanos;

  public NodeThreads(long nodeId) {
    this(nodeId, TimeUnit.SECONDS.toNanos(1));
  }

  NodeThreads(long nodeId, long maxParkNanos) {
    this.nodeId = nodeId;
    this.maxParkNanos = maxParkNanos;
    // One compaction at a time; one more may wait (it merges the requests that arrive meanwhile).
    this.background =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1),
            r -> new Thread(r, "raft-compact-" + nodeId),
            new ThreadPoolExecutor.DiscardPolicy());
    background.allowCoreThreadTimeOut(true);
    this.snapshots =
        new ThreadPoolExecutor(
            1,
            1,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> new Thread(r, "raft-snapshot-" + nodeId));
    snapshots.allowCoreThreadTimeOut(true);
  }

  @Override
  public void start(WorkLoop driver, WorkLoop applier) {
    this.driver = driver;
    Thread apply = new Thread(() -> run(applier, applyWoken), "raft-apply-" + nodeId);
    Thread drive = new Thread(() -> run(driver, driverWoken), "raft-driver-" + nodeId);
    applyThread = apply;
    driverThread = drive;
    apply.start();
    drive.start();
  }

  private void run(WorkLoop loop, AtomicBoolean woken) {
    // An interrupt would make every park return at once: nothing interrupts these threads, and
    // one that does is asking them to end.
    while (!loop.isDone() && !Thread.currentThread().isInterrupted()) {
      // Cleared before the run: work offered from here on either is seen by this run or sets the
      // flag again (and unparks), so the check below never parks over it.
      woken.set(false);
      long waitNanos = loop.runOnce();
      if (loop.isDone()) {
        return;
      }
      if (waitNanos > 0 && !woken.get()) {
        // A wake between the check and the park leaves a permit, so this returns at once.
        LockSupport.parkNanos(loop, Math.min(waitNanos, maxParkNanos));
      }
    }
  }

  @Override
  public void wakeAfterBatch(WorkLoop loop) {
    Executor networkLoop = CallLoop.current();
    if (networkLoop == null) {
      wake(loop);
      return;
    }
    boolean[] queued = wakeQueuedHere.get();
    if (queued[0]) {
      return; // this thread's queued wake is still to run, after this work
    }
    // A network thread reads every connection that is ready before it runs its tasks: the wake,
    // a task, comes after the requests of all of them, and the loop takes them in one run (for
    // reads, one ReadIndex round). Woken at the first, the driver ran with one or two reads. A
    // task the thread never runs (blocked, or shut down after taking it) delays only the work it
    // handed in itself, until the loop's next deadline.
    queued[0] = true;
    try {
      networkLoop.execute(
          () -> {
            queued[0] = false;
            wake(loop);
          });
    } catch (RejectedExecutionException e) {
      queued[0] = false; // the thread is shutting down
      wake(loop);
    }
  }

  @Override
  public void wake(WorkLoop loop) {
    boolean isDriver = loop == driver;
    AtomicBoolean woken = isDriver ? driverWoken : applyWoken;
    if (woken.get() || woken.getAndSet(true)) {
      return; // already told since its last run began: it will run again before parking
    }
    Thread t = isDriver ? driverThread : applyThread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public Executor background() {
    return background;
  }

  @Override
  public Executor snapshots() {
    return snapshots;
  }

  @Override
  public boolean awaitStopped() throws InterruptedException {
    Thread drive = driverThread;
    Thread apply = applyThread;
    if (drive != null) {
      LockSupport.unpark(drive);
      drive.join(JOIN_MS);
    }
    if (apply != null) {
      LockSupport.unpark(apply);
      apply.join(JOIN_MS);
    }
    background.shutdown();
    snapshots.shutdown();
    boolean compactionStopped = background.awaitTermination(JOIN_MS, TimeUnit.MILLISECONDS);
    boolean snapshotsStopped = snapshots.awaitTermination(JOIN_MS, TimeUnit.MILLISECONDS);
    return (drive == null || !drive.isAlive())
        && (apply == null || !apply.isAlive())
        && compactionStopped
        && snapshotsStopped;
  }
}
