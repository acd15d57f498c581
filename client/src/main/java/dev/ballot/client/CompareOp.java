package dev.ballot.client;

import dev.ballot.etcd.api.Compare;

/** How a transaction guard compares a key's current state with the given operand. */
public enum CompareOp {
  /** current == operand */
  EQUAL(Compare.CompareResult.EQUAL),
  /** current != operand */
  NOT_EQUAL(Compare.CompareResult.NOT_EQUAL),
  /** current &gt; operand */
  GREATER(Compare.CompareResult.GREATER),
  /** current &lt; operand */
  LESS(Compare.CompareResult.LESS);

  private final Compare.CompareResult wire;

  CompareOp(Compare.CompareResult wire) {
    this.wire = wire;
  }

  Compare.CompareResult wire() {
    return wire;
  }
}
