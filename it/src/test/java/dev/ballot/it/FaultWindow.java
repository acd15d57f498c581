package dev.ballot.it;

import java.util.Arrays;

/**
 * One fault of a {@link LinearizabilityTest} run and the time it owns: from its start, through its
 * heal and the moment every node reported a leader again, to the start of the next fault (or the
 * end of the run). Times are on the {@link RunClock}; the terms are the highest any node reported
 * at the window's start and end.
 */
record FaultWindow(
    FaultKind kind,
    int target,
    boolean leader,
    long startMicros,
    long healedMicros,
    long readyMicros,
    long endMicros,
    long termBefore,
    long termAfter) {

  /**
   * The longest time within the window without a write completing successfully: between the
   * window's start, each successful write's completion in it, and its end.
   *
   * @param writeCompletionsMicros completion times of successful writes, sorted
   */
  long longestWriteGapMicros(long[] writeCompletionsMicros) {
    int from = Arrays.binarySearch(writeCompletionsMicros, startMicros);
    int i = from < 0 ? -from - 1 : from;
    long previous = startMicros;
    long longest = 0;
    for (; i < writeCompletionsMicros.length && writeCompletionsMicros[i] <= endMicros; i++) {
      longest = Math.max(longest, writeCompletionsMicros[i] - previous);
      previous = writeCompletionsMicros[i];
    }
    return Math.max(longest, endMicros - previous);
  }

  /** The window with its end set: the time, and the highest term any node reported then. */
  FaultWindow endingAt(long endMicros, long termAfter) {
    return new FaultWindow(
        kind,
        target,
        leader,
        startMicros,
        healedMicros,
        readyMicros,
        endMicros,
        termBefore,
        termAfter);
  }

  /** Elections begun in the window: terms the cluster went through. */
  long elections() {
    return Math.max(0, termAfter - termBefore);
  }

  long faultMs() {
    return (healedMicros - startMicros) / 1_000;
  }

  /** From the heal until every node reported a leader again. */
  long rejoinMs() {
    return (readyMicros - healedMicros) / 1_000;
  }
}
