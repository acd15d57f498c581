package dev.ballot.linearizability;

/**
 * One operation of a history: the command with the result its client observed, and when the client
 * invoked it and saw it complete, on one clock shared by every client (a logical counter, or {@link
 * System#nanoTime()}). The operation took effect at one instant within that interval.
 *
 * <p>An operation whose outcome is unknown (a write that timed out, or whose connection was lost
 * after it was sent) has {@code completedAt == }{@link #NEVER}: it may take effect at any time
 * after its invocation, or never.
 */
public record Operation<C>(C command, long invokedAt, long completedAt) {

  /** The completion time of an operation whose outcome is unknown. */
  public static final long NEVER = Long.MAX_VALUE;

  public Operation {
    if (completedAt < invokedAt) {
      throw new IllegalArgumentException(
          "completed at " + completedAt + " before invoked at " + invokedAt + ": " + command);
    }
  }

  /** Whether its client saw it complete, so that it must have taken effect. */
  public boolean completed() {
    return completedAt != NEVER;
  }

  @Override
  public String toString() {
    return command + " [" + invokedAt + ".." + (completed() ? completedAt : "?") + "]";
  }
}
