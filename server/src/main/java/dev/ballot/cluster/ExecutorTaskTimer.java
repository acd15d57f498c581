package dev.ballot.cluster;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The production {@link TaskTimer}: one named daemon thread; cancelled tasks leave its queue. */
public final class ExecutorTaskTimer implements TaskTimer, AutoCloseable {
  private final ScheduledThreadPoolExecutor executor;

  public ExecutorTaskTimer(String threadName) {
    executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
    // One timeout per request: cancelled ones must not pile up until their delay passes.
    executor.setRemoveOnCancelPolicy(true);
  }

  @Override
  public long nowNanos() {
    return System.nanoTime();
  }

  @Override
  public Scheduled schedule(Runnable task, long delayMs) {
    try {
      var future = executor.schedule(task, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
      return () -> future.cancel(false);
    } catch (RejectedExecutionException e) {
      // Closed: the node is stopping and its client port is already shut.
      return () -> {};
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
