package dev.ballot.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/** Timeouts by the injected timer (never {@code orTimeout}, which uses a real-time scheduler). */
public final class Deadlines {
  private Deadlines() {}

  /**
   * Completes {@code future} itself with a {@link TimeoutException} unless it completes within
   * {@code timeoutMs}; returns it.
   */
  public static <T> CompletableFuture<T> within(
      TaskTimer timer, CompletableFuture<T> future, long timeoutMs) {
    if (future.isDone()) {
      return future;
    }
    TaskTimer.Scheduled timeout =
        timer.schedule(
            () -> future.completeExceptionally(new TimeoutException(timeoutMs + " ms passed")),
            timeoutMs);
    future.whenComplete((v, e) -> timeout.cancel());
    return future;
  }
}
