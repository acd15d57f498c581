package dev.ballot.sim;

import dev.ballot.sim.History.Kind;
import dev.ballot.sim.History.Op;
import dev.ballot.sim.History.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a history against the committed log for linearizability of an append-only register: a
 * write appends its value, a read returns the whole sequence so far. Because every state is a
 * prefix of the committed log, a history is linearizable exactly when placing writes in log order
 * and each read after the writes it saw respects real time, which reduces to four pairwise rules
 * checked here in O(n log n).
 */
final class LinearizabilityChecker {
  private LinearizabilityChecker() {}

  /** Returns null if the history is linearizable, else a description of the first violation. */
  static String check(List<Op> ops, List<Long> committedValues) {
    Map<Long, Op> writesByValue = new HashMap<>();
    List<Op> reads = new ArrayList<>();
    for (Op op : ops) {
      if (op.kind == Kind.WRITE) {
        writesByValue.put(op.value, op);
      } else if (op.outcome == Outcome.OK) {
        reads.add(op);
      }
    }
    Map<Long, Integer> position = new HashMap<>();
    for (int p = 0; p < committedValues.size(); p++) {
      long v = committedValues.get(p);
      Op w = writesByValue.get(v);
      if (w == null) {
        return "value " + v + " at log position " + p + " was never written by a client";
      }
      if (position.put(v, p) != null) {
        return "value " + v + " appears twice in the log";
      }
      if (w.outcome == Outcome.FAILED) {
        return "write reported failed but is in the log at position " + p + ": " + w;
      }
    }
    List<Op> okWrites = new ArrayList<>();
    for (Op w : writesByValue.values()) {
      if (w.outcome == Outcome.OK) {
        if (!position.containsKey(w.value)) {
          return "acknowledged write is missing from the log: " + w;
        }
        okWrites.add(w);
      }
    }
    okWrites.sort(Comparator.comparingLong(w -> w.completedAt));

    // A read sees no write invoked after the read completed.
    long[] maxInvokedInPrefix = new long[committedValues.size() + 1];
    for (int p = 0; p < committedValues.size(); p++) {
      long inv = writesByValue.get(committedValues.get(p)).invokedAt;
      maxInvokedInPrefix[p + 1] = Math.max(maxInvokedInPrefix[p], inv);
    }
    for (Op r : reads) {
      if (r.readPrefix > committedValues.size()) {
        return "read saw " + r.readPrefix + " values, the log has " + committedValues.size();
      }
      if (maxInvokedInPrefix[r.readPrefix] > r.completedAt) {
        return "read saw a write invoked after the read completed: " + r;
      }
    }
    // A read (or write) sees every write acknowledged before it started, and writes keep order.
    for (Op r : reads) {
      int latest = latestPositionAcknowledgedBefore(okWrites, position, r.invokedAt);
      if (latest >= r.readPrefix) {
        return "read missed a write acknowledged before it started (log position "
            + latest
            + "): "
            + r;
      }
    }
    for (Op w : writesByValue.values()) {
      Integer p = position.get(w.value);
      if (p == null) {
        continue;
      }
      int latest = latestPositionAcknowledgedBefore(okWrites, position, w.invokedAt);
      if (latest >= p) {
        return "write ordered before a write acknowledged before it started: " + w;
      }
    }
    // Reads never go back in time.
    reads.sort(Comparator.comparingLong(r -> r.completedAt));
    for (Op r2 : reads) {
      for (Op r1 : reads) {
        if (r1.completedAt >= r2.invokedAt) {
          break;
        }
        if (r1.readPrefix > r2.readPrefix) {
          return "stale read: " + r2 + " started after " + r1 + " completed but saw less";
        }
      }
    }
    return null;
  }

  private static int latestPositionAcknowledgedBefore(
      List<Op> okWritesByCompletion, Map<Long, Integer> position, long time) {
    int latest = -1;
    for (Op w : okWritesByCompletion) {
      if (w.completedAt >= time) {
        break;
      }
      latest = Math.max(latest, position.get(w.value));
    }
    return latest;
  }
}
