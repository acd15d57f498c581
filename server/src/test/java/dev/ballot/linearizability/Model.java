package dev.ballot.linearizability;

/**
 * A sequential specification: what one operation does to the state of the object, given what the
 * client saw it return. The checker searches for an order of the operations, consistent with real
 * time, in which every step is legal.
 *
 * @param <S> the state; compared with {@code equals} and hashed, so it must be a value
 * @param <C> an operation together with the result its client observed
 */
public interface Model<S, C> {

  S initial();

  /**
   * The state after {@code command} takes effect in {@code state} and returns what its client
   * observed, or null when it cannot: the observed result is impossible in that state.
   */
  S step(S state, C command);

  /** The state for a failure report. */
  default String describe(S state) {
    return String.valueOf(state);
  }
}
