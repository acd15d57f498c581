package dev.ballot.sim;

import dev.ballot.cluster.TaskTimer;

/** The leader route's timer for one incarnation of a node: virtual time, silenced by a crash. */
final class SimTimer implements TaskTimer {
  private final EventQueue events;
  private final SimRunner runner;

  SimTimer(EventQueue events, SimRunner runner) {
    this.events = events;
    this.runner = runner;
  }

  @Override
  public long nowNanos() {
    return events.nowNanos();
  }

  @Override
  public Scheduled schedule(Runnable task, long delayMs) {
    boolean[] cancelled = {false};
    runner.afterIfAlive(
        Math.max(0, delayMs),
        () -> {
          if (!cancelled[0]) {
            task.run();
          }
        });
    return () -> cancelled[0] = true;
  }
}
