package dev.ballot.cluster;

/**
 * Time and delayed tasks for the leader route, injected so that the simulation runs the route in
 * virtual time on one thread. Production wraps a scheduled executor ({@link ExecutorTaskTimer}).
 */
public interface TaskTimer {
  /** Monotonic time in nanoseconds. */
  long nowNanos();

  /** Runs {@code task} once, {@code delayMs} from now (at once if not positive). */
  Scheduled schedule(Runnable task, long delayMs);

  /** A task not yet run; cancelling a task that already ran does nothing. */
  @FunctionalInterface
  interface Scheduled {
    void cancel();
  }
}
