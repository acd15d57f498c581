package dev.ballot.linearizability;

/**
 * What the checker found.
 *
 * @param outcome whether the history is linearizable, is not, or could not be decided
 * @param explanation empty when linearizable; else the ops involved
 * @param statesExplored how many (linearized set, state) pairs the search visited
 */
public record Verdict(Outcome outcome, String explanation, long statesExplored) {

  /** The three answers. */
  public enum Outcome {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    /** The search exceeded its bound on explored states; nothing is known. */
    UNDECIDED
  }

  public boolean linearizable() {
    return outcome == Outcome.LINEARIZABLE;
  }
}
