package dev.ballot.cluster;

import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import java.util.concurrent.CompletableFuture;

/** What the route needs to know of the local node: who leads, and when a leader is known. */
public interface LeaderView {
  NodeStatus status();

  /** Completes when a leader is known; the route completes it exceptionally when it gives up. */
  CompletableFuture<Void> whenLeaderKnown();

  /**
   * Completes when a leader other than {@code leader} is known in a term after {@code term}; the
   * route cancels it when it no longer cares.
   */
  CompletableFuture<Void> whenLeaderReplaced(long leader, long term);

  static LeaderView of(RaftDriver<?> driver) {
    return new LeaderView() {
      @Override
      public NodeStatus status() {
        return driver.status();
      }

      @Override
      public CompletableFuture<Void> whenLeaderKnown() {
        return driver.whenLeaderKnown();
      }

      @Override
      public CompletableFuture<Void> whenLeaderReplaced(long leader, long term) {
        return driver.whenLeaderReplaced(leader, term);
      }
    };
  }
}
