package dev.ballot.it;

/**
 * Microseconds since the start of a run, from {@link System#nanoTime()}, shared by every client so
 * that one client's completion and another's invocation compare. Invocations round down and
 * completions up, so an interval never shrinks: two ops that touch count as concurrent.
 */
record RunClock(long originNanos) {

  static RunClock startingNow() {
    return new RunClock(System.nanoTime());
  }

  long nowMicros() {
    return (System.nanoTime() - originNanos) / 1_000;
  }

  long invokedMicros() {
    return nowMicros();
  }

  long completedMicros() {
    return Math.floorDiv(System.nanoTime() - originNanos + 999, 1_000);
  }
}
