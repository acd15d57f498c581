package dev.ballot.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * What the simulated clients did and saw. Times are positions on one logical clock that ticks at
 * every record, so "a completed before b started" is exact.
 */
final class History {
  enum Kind {
    WRITE,
    READ
  }

  enum Outcome {
    /** No answer (yet): the write may or may not have taken effect. */
    UNKNOWN,
    OK,
    /** A definite failure: the write did not take effect. */
    FAILED
  }

  static final class Op {
    final Kind kind;
    final long value;
    final long invokedAt;
    long completedAt = Long.MAX_VALUE;
    Outcome outcome = Outcome.UNKNOWN;

    /** For a read: how many values the state it saw held (a prefix of the log). */
    int readPrefix = -1;

    Op(Kind kind, long value, long invokedAt) {
      this.kind = kind;
      this.value = value;
      this.invokedAt = invokedAt;
    }

    @Override
    public String toString() {
      return kind
          + "(v="
          + value
          + " inv="
          + invokedAt
          + " done="
          + completedAt
          + " "
          + outcome
          + (kind == Kind.READ ? " prefix=" + readPrefix : "")
          + ")";
    }
  }

  private final List<Op> ops = new ArrayList<>();
  private long clock;

  Op invokeWrite(long value) {
    Op op = new Op(Kind.WRITE, value, ++clock);
    ops.add(op);
    return op;
  }

  Op invokeRead() {
    Op op = new Op(Kind.READ, 0, ++clock);
    ops.add(op);
    return op;
  }

  void ok(Op op) {
    complete(op, Outcome.OK);
  }

  void failed(Op op) {
    complete(op, Outcome.FAILED);
  }

  void readOk(Op op, int prefix) {
    op.readPrefix = prefix;
    complete(op, Outcome.OK);
  }

  private void complete(Op op, Outcome outcome) {
    if (op.outcome != Outcome.UNKNOWN) {
      throw new AssertionError("operation completed twice: " + op + " then " + outcome);
    }
    op.outcome = outcome;
    op.completedAt = ++clock;
  }

  List<Op> ops() {
    return ops;
  }

  long count(Kind kind, Outcome outcome) {
    return ops.stream().filter(o -> o.kind == kind && o.outcome == outcome).count();
  }
}
