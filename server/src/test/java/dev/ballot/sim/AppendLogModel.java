package dev.ballot.sim;

import dev.ballot.linearizability.LinearizabilityChecker;
import dev.ballot.linearizability.Model;
import dev.ballot.linearizability.Operation;
import dev.ballot.linearizability.Verdict;
import dev.ballot.sim.History.Kind;
import dev.ballot.sim.History.Op;
import dev.ballot.sim.History.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulation's register, an append-only log, for the linearizability checker: a write appends
 * its value, a read returns how many values the log held. The committed log fixes where each write
 * went, so the state is the number of values appended and a write can take effect only when the log
 * has exactly the values before its own. A history is then linearizable exactly when the writes, in
 * log order, and the reads can be placed in real time.
 */
final class AppendLogModel implements Model<Integer, Op> {
  private final Map<Long, Integer> positionOf;

  private AppendLogModel(Map<Long, Integer> positionOf) {
    this.positionOf = positionOf;
  }

  /** Returns null if the history is linearizable, else a description of the violation. */
  static String check(List<Op> ops, List<Long> committedValues) {
    Map<Long, Op> writesByValue = new HashMap<>();
    for (Op op : ops) {
      if (op.kind == Kind.WRITE) {
        writesByValue.put(op.value, op);
      }
    }
    Map<Long, Integer> positionOf = new HashMap<>();
    for (int p = 0; p < committedValues.size(); p++) {
      long v = committedValues.get(p);
      Op w = writesByValue.get(v);
      if (w == null) {
        return "value " + v + " at log position " + p + " was never written by a client";
      }
      if (positionOf.put(v, p) != null) {
        return "value " + v + " appears twice in the log";
      }
      if (w.outcome == Outcome.FAILED) {
        return "write reported failed but is in the log at position " + p + ": " + w;
      }
    }
    List<Operation<Op>> history = new ArrayList<>();
    for (Op op : ops) {
      boolean inLog = op.kind == Kind.WRITE && positionOf.containsKey(op.value);
      if (op.kind == Kind.WRITE && op.outcome == Outcome.OK && !inLog) {
        return "acknowledged write is missing from the log: " + op;
      }
      if (op.kind == Kind.READ && op.outcome == Outcome.OK && op.readPrefix > positionOf.size()) {
        return "read saw "
            + op.readPrefix
            + " values, the log has "
            + positionOf.size()
            + ": "
            + op;
      }
      // Failed ops did not take effect; unknown reads constrain nothing; unknown writes not in
      // the log never took effect.
      boolean keep = op.kind == Kind.READ ? op.outcome == Outcome.OK : inLog;
      if (keep) {
        history.add(new Operation<>(op, op.invokedAt, op.completedAt));
      }
    }
    Verdict verdict = LinearizabilityChecker.check(new AppendLogModel(positionOf), history);
    return verdict.linearizable() ? null : verdict.outcome() + ": " + verdict.explanation();
  }

  @Override
  public Integer initial() {
    return 0;
  }

  @Override
  public Integer step(Integer appended, Op op) {
    if (op.kind == Kind.READ) {
      return op.readPrefix == appended ? appended : null;
    }
    return positionOf.get(op.value) == appended.intValue() ? appended + 1 : null;
  }

  @Override
  public String describe(Integer appended) {
    return appended + " values appended";
  }
}
