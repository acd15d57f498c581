package dev.ballot.sim;

import dev.ballot.node.NodeRunner;
import dev.ballot.node.WorkLoop;
import java.util.Random;
import java.util.concurrent.Executor;

/**
 * Runs one incarnation of a node's real driver and apply loops as events in virtual time: a wake
 * runs the loop at once (the driver) or after a short random lag (the apply loop, as a thread that
 * falls behind), a deadline runs it when due, and a crash silences every event of the incarnation.
 * The observer hears after each turn of the driver, so invariants are checked at every step.
 */
final class SimRunner implements NodeRunner {
  /** Told after every turn of the driver's loop. */
  interface Observer {
    void driverTurned();
  }

  /** How long a snapshot's take may lag behind the apply loop that asked for it. */
  static final int MAX_SNAPSHOT_LAG_MS = 30;

  private final EventQueue events;
  private final Random random;
  private final int maxApplyLagMs;
  private final Observer observer;
  private WorkLoop driver;
  private WorkLoop applier;
  private boolean alive = true;
  private long driverDueMs = Long.MAX_VALUE;
  private long applierDueMs = Long.MAX_VALUE;

  SimRunner(EventQueue events, Random random, int maxApplyLagMs, Observer observer) {
    this.events = events;
    this.random = random;
    this.maxApplyLagMs = maxApplyLagMs;
    this.observer = observer;
  }

  @Override
  public void start(WorkLoop driver, WorkLoop applier) {
    this.driver = driver;
    this.applier = applier;
    scheduleDriver(events.nowMs());
  }

  @Override
  public void wake(WorkLoop loop) {
    if (!alive || driver == null) {
      return;
    }
    if (loop == driver) {
      scheduleDriver(events.nowMs());
    } else {
      scheduleApplier(events.nowMs() + random.nextInt(maxApplyLagMs + 1));
    }
  }

  /**
   * As a server's network thread, which wakes the driver for a read only after the rest of its
   * batch: at once or a millisecond later, so that reads also meet a driver that ran without them.
   */
  @Override
  public void wakeAfterBatch(WorkLoop loop) {
    if (!alive || driver == null) {
      return;
    }
    if (loop == driver) {
      scheduleDriver(events.nowMs() + random.nextInt(2));
    } else {
      wake(loop);
    }
  }

  private void scheduleDriver(long atMs) {
    if (atMs >= driverDueMs) {
      return; // an earlier run is already due; it reschedules itself
    }
    driverDueMs = atMs;
    events.at(
        atMs,
        () -> {
          if (!alive || driverDueMs != atMs) {
            return;
          }
          driverDueMs = Long.MAX_VALUE;
          long waitNanos = driver.runOnce();
          observer.driverTurned();
          if (waitNanos != WorkLoop.NO_DEADLINE && !driver.isDone()) {
            scheduleDriver(events.nowMs() + ceilMs(waitNanos));
          }
        });
  }

  private void scheduleApplier(long atMs) {
    if (atMs >= applierDueMs) {
      return;
    }
    applierDueMs = atMs;
    events.at(
        atMs,
        () -> {
          if (!alive || applierDueMs != atMs) {
            return;
          }
          applierDueMs = Long.MAX_VALUE;
          applier.runOnce();
        });
  }

  private static long ceilMs(long nanos) {
    return (nanos + 999_999) / 1_000_000;
  }

  /** Runs housekeeping a little later, as its own thread would, unless the node crashed first. */
  @Override
  public Executor background() {
    return task -> events.after(random.nextInt(5), () -> runIfAlive(task));
  }

  /**
   * Takes a snapshot up to {@link #MAX_SNAPSHOT_LAG_MS} later, as its own thread would while the
   * apply loop goes on, unless the node crashed first.
   */
  @Override
  public Executor snapshots() {
    return task -> events.after(random.nextInt(MAX_SNAPSHOT_LAG_MS + 1), () -> runIfAlive(task));
  }

  /** Runs {@code task} now as part of this incarnation, unless it crashed. */
  void runIfAlive(Runnable task) {
    if (alive) {
      task.run();
    }
  }

  /** Like {@link #runIfAlive}, {@code delayMs} from now. */
  void afterIfAlive(long delayMs, Runnable task) {
    events.after(delayMs, () -> runIfAlive(task));
  }

  /** The process dies: none of its pending events runs any more. */
  void kill() {
    alive = false;
  }

  @Override
  public boolean awaitStopped() {
    return true;
  }
}
