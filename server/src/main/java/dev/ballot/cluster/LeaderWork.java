package dev.ballot.cluster;

import java.util.concurrent.CompletableFuture;

/**
 * One piece of work that must run on the leader, in the two forms the route needs. Both return
 * futures the route may complete exceptionally itself when time runs out (a driver future so
 * completed forgets the request).
 *
 * @param <A> the answer
 */
public interface LeaderWork<A> {
  /**
   * Runs it on this node, which leads. Fails with the node's refusal ({@code NodeException}
   * NOT_LEADER / NO_LEADER if leadership just moved) or the work's own error.
   */
  CompletableFuture<A> runHere(long timeoutMs);

  /**
   * Sends it to {@code leaderId}. Fails with a {@link RouteFailure} (NEVER_SENT, NOT_LEADER,
   * NO_LEADER, REFUSED, OUTCOME_UNKNOWN).
   */
  CompletableFuture<A> forward(long leaderId, long timeoutMs);
}
