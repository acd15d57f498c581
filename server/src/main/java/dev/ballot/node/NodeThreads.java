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

  /** Whether a wake of the driver waits in a network thread's tasks ({@link #wakeAfterBatch}). */
  private final AtomicBoolean driverWakeQueued = new AtomicBoolean();

  public NodeThreads(long nodeId) {
    this.nodeId = nodeId;
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
    Thread apply = new Thread(() -> run(applier, applyWoken, null), "raft-apply-" + nodeId);
    Thread drive =
        new Thread(() -> run(driver, driverWoken, driverWakeQueued), "raft-driver-" + nodeId);
    applyThread = apply;
    driverThread = drive;
    apply.start();
    drive.start();
  }

  /**
   * Runs {@code loop} until it is done; {@code wakeQueued}, if given, is cleared with {@code woken}
   * before each run: a run takes the work a queued wake was for, so a wake task that a network
   * thread never ran (its loop shutting down) delays reads until the loop's next deadline at most.
   */
  private static void run(WorkLoop loop, AtomicBoolean woken, AtomicBoolean wakeQueued) {
    // An interrupt would make every park return at once: nothing interrupts these threads, and
    // one that does is asking them to end.
    while (!loop.isDone() && !Thread.currentThread().isInterrupted()) {
      // Cleared before the run: work offered from here on either is seen by this run or sets the
      // flag again (and unparks), so the check below never parks over it.
      woken.set(false);
      if (wakeQueued != null) {
        wakeQueued.set(false);
      }
      long waitNanos = loop.runOnce();
      if (loop.isDone()) {
        return;
      }
      if (waitNanos > 0 && !woken.get()) {
        // A wake between the check and the park leaves a permit, so this returns at once.
        LockSupport.parkNanos(loop, Math.min(waitNanos, TimeUnit.SECONDS.toNanos(1)));
      }
    }
  }

  @Override
  public void wakeAfterBatch(WorkLoop loop) {
    Executor networkLoop = CallLoop.current();
    if (networkLoop == null || loop != driver) {
      wake(loop);
      return;
    }
    if (driverWakeQueued.get() || !driverWakeQueued.compareAndSet(false, true)) {
      return; // a wake queued on a network thread is still to run: it takes this work too
    }
    // A network thread reads every connection that is ready before it runs its tasks: the wake,
    // a task, comes after the requests of all of them, and the driver takes them in one turn (one
    // ReadIndex round). Woken at the first, the driver ran with one or two reads.
    try {
      networkLoop.execute(this::wakeQueuedDriver);
    } catch (RejectedExecutionException e) {
      wakeQueuedDriver(); // the loop is shutting down
    }
  }

  /** Whether a network thread holds a wake of the driver (for tests). */
  boolean driverWakeQueued() {
    return driverWakeQueued.get();
  }

  private void wakeQueuedDriver() {
    driverWakeQueued.set(false);
    wake(driver);
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
