package dev.ballot.node;

import java.util.concurrent.Executor;

/**
 * Runs a node's two loops and its background work. A server runs each loop on a thread of its own
 * ({@link NodeThreads}); the simulation runs them as events in virtual time, so the code it tests
 * is the code that ships.
 */
public interface NodeRunner {
  /** Starts running the driver's loop and the apply loop. */
  void start(WorkLoop driver, WorkLoop applier);

  /** {@code loop} has new work: run it soon. May be called from any thread, before start too. */
  void wake(WorkLoop loop);

  /**
   * As {@link #wake}, for work that gains from company (a read, which shares its ReadIndex round
   * with every read the loop finds with it): the runner may wait until the calling thread has done
   * the rest of what it had at hand, which may bring more of it.
   */
  default void wakeAfterBatch(WorkLoop loop) {
    wake(loop);
  }

  /** Where slow housekeeping runs (deleting compacted log), off both loops. */
  Executor background();

  /**
   * Where snapshots are taken, off both loops (the apply loop goes on meanwhile); one at a time,
   * and a task given to it is never dropped while the node runs.
   */
  Executor snapshots();

  /**
   * Waits for the loops (already told to stop) and the background work to end.
   *
   * @return whether everything ended; if not, the storage must stay open
   */
  boolean awaitStopped() throws InterruptedException;
}
