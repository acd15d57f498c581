package dev.ballot.node;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A server's runner: the driver's loop on {@code raft-driver-ID}, the apply loop on {@code
 * raft-apply-ID}, each parking until woken or until its next deadline, and log compaction on {@code
 * raft-compact-ID}.
 */
public final class NodeThreads implements NodeRunner {
  private static final long JOIN_MS = TimeUnit.SECONDS.toMillis(10);

  private final long nodeId;
  private final ThreadPoolExecutor background;
  private volatile Thread driverThread;
  private volatile Thread applyThread;
  private volatile WorkLoop driver;

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
  }

  @Override
  public void start(WorkLoop driver, WorkLoop applier) {
    this.driver = driver;
    Thread apply = new Thread(() -> run(applier), "raft-apply-" + nodeId);
    Thread drive = new Thread(() -> run(driver), "raft-driver-" + nodeId);
    applyThread = apply;
    driverThread = drive;
    apply.start();
    drive.start();
  }

  private static void run(WorkLoop loop) {
    // An interrupt would make every park return at once: nothing interrupts these threads, and
    // one that does is asking them to end.
    while (!loop.isDone() && !Thread.currentThread().isInterrupted()) {
      long waitNanos = loop.runOnce();
      if (loop.isDone()) {
        return;
      }
      if (waitNanos > 0) {
        // A wake between runOnce and here leaves a permit, so this returns at once.
        LockSupport.parkNanos(loop, Math.min(waitNanos, TimeUnit.SECONDS.toNanos(1)));
      }
    }
  }

  @Override
  public void wake(WorkLoop loop) {
    Thread t = loop == driver ? driverThread : applyThread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public Executor background() {
    return background;
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
    boolean compactionStopped = background.awaitTermination(JOIN_MS, TimeUnit.MILLISECONDS);
    return (drive == null || !drive.isAlive())
        && (apply == null || !apply.isAlive())
        && compactionStopped;
  }
}
