package dev.ballot.cluster;

import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/** A {@link TaskTimer} in virtual time: tasks run only when the test advances the clock. */
final class ManualTimer implements TaskTimer {
  private record Task(long dueNanos, long seq, Runnable run, boolean[] cancelled) {}

  private final PriorityQueue<Task> tasks =
      new PriorityQueue<>(
          (a, b) ->
              a.dueNanos != b.dueNanos
                  ? Long.compare(a.dueNanos, b.dueNanos)
                  : Long.compare(a.seq, b.seq));
  private long nowNanos;
  private long seq;

  @Override
  public long nowNanos() {
    return nowNanos;
  }

  @Override
  public Scheduled schedule(Runnable task, long delayMs) {
    boolean[] cancelled = {false};
    tasks.add(
        new Task(
            nowNanos + TimeUnit.MILLISECONDS.toNanos(Math.max(0, delayMs)),
            seq++,
            task,
            cancelled));
    return () -> cancelled[0] = true;
  }

  /** Moves the clock forward by {@code ms}, running every task that falls due, in order. */
  void advanceMs(long ms) {
    long until = nowNanos + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!tasks.isEmpty() && tasks.peek().dueNanos <= until) {
      Task t = tasks.poll();
      nowNanos = t.dueNanos;
      if (!t.cancelled[0]) {
        t.run.run();
      }
    }
    nowNanos = until;
  }
}
