package dev.ballot.node;

/**
 * One of a node's loops (the driver's or the apply loop): it does the work available when it is
 * run, and never waits inside. Whoever runs it decides whether that is a thread that parks between
 * runs (a server) or an event in virtual time (the simulation).
 */
public interface WorkLoop {
  /** Returned by {@link #runOnce()} when nothing is due until the loop is woken. */
  long NO_DEADLINE = Long.MAX_VALUE;

  /**
   * Does the work that is ready now.
   *
   * @return nanoseconds until the loop must run again even if nobody wakes it, or {@link
   *     #NO_DEADLINE}
   */
  long runOnce();

  /** Whether the loop has ended for good (stopped, or stopped by a failure). */
  boolean isDone();
}
