package dev.ballot.cluster;

import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import dev.ballot.transport.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * When a linearizable read may be served from this node's store: once a ReadIndex confirmed by the
 * leader (one heartbeat round to a quorum) is applied here, the store reflects every write
 * acknowledged before the read began. During an election it waits a little for a leader rather than
 * fail at once. The KV service and the simulation's clients both wait here; timeouts come from the
 * injected timer.
 */
public final class LinearizableReads {
  private final RaftDriver<?> driver;
  private final TaskTimer timer;
  private final long leaderWaitMs;

  /**
   * @param leaderWaitMs how long a read waits for a leader to be elected before it fails with "no
   *     leader"
   */
  public LinearizableReads(RaftDriver<?> driver, TaskTimer timer, long leaderWaitMs) {
    this.driver = driver;
    this.timer = timer;
    this.leaderWaitMs = leaderWaitMs;
  }

  /**
   * Completes with the applied index once the store may be read, or exceptionally: a {@code
   * NodeException} (no leader, overloaded, stopping) or a {@code TimeoutException} after {@code
   * timeoutMs}.
   */
  public CompletableFuture<Long> awaitReadable(long timeoutMs) {
    long deadlineNanos = timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    // The driver's own future is timed out, so that it forgets a read nobody waits for.
    CompletableFuture<Long> index =
        Deadlines.within(timer, driver.readIndex(), timeoutMs)
            .exceptionallyCompose(
                error ->
                    isNoLeader(error)
                        ? afterLeaderKnown(deadlineNanos, error)
                        : CompletableFuture.failedFuture(error));
    return Deadlines.within(
        timer, index.thenCompose(driver::whenApplied), remainingMs(deadlineNanos));
  }

  /** Asks again once a leader is known; fails with {@code noLeader} if none comes soon. */
  private CompletableFuture<Long> afterLeaderKnown(long deadlineNanos, Throwable noLeader) {
    long waitMs = Math.min(remainingMs(deadlineNanos), leaderWaitMs);
    return Deadlines.within(timer, driver.whenLeaderKnown(), waitMs)
        .handle((known, timeout) -> timeout)
        .thenCompose(
            timeout ->
                timeout == null
                    ? Deadlines.within(timer, driver.readIndex(), remainingMs(deadlineNanos))
                    : CompletableFuture.failedFuture(noLeader));
  }

  private long remainingMs(long deadlineNanos) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - timer.nowNanos()));
  }

  private static boolean isNoLeader(Throwable error) {
    return Failures.cause(error) instanceof NodeException ne
        && (ne.kind() == NodeException.Kind.NO_LEADER
            || ne.kind() == NodeException.Kind.HANDING_OVER);
  }
}
