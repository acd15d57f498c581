package dev.ballot.cluster;

import dev.ballot.node.NodeException;
import dev.ballot.node.NodeStatus;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.transport.Failures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one route for work that must run on the leader (client writes, membership changes): here if
 * this node leads, else straight to the leader it knows, else after waiting a bounded time for one.
 * It tries again only when nothing can have happened (never sent, or the node asked does not lead
 * or knows no leader); any other outcome is the answer: a result, the leader's refusal, or {@link
 * RouteFailure.Kind#OUTCOME_UNKNOWN}. Non-blocking: every step runs from a completion or from the
 * injected timer.
 */
public final class LeaderRouter {
  private static final Logger log = LoggerFactory.getLogger(LeaderRouter.class);

  private final LeaderView view;
  private final TaskTimer timer;
  private final long leaderWaitMs;
  private final long retryPauseMs;
  private final long replacedGraceMs;

  /**
   * The server's timings, from the election timeout: a route waits up to two election timeouts for
   * a leader, and pauses a fiftieth of one (at least 5 ms) between tries, so that a write waiting
   * through a failover goes out within milliseconds of the new leader's election; a leader that was
   * replaced holding a write gets a fifth of one to answer it.
   */
  public static LeaderRouter forElectionTimeout(
      LeaderView view, TaskTimer timer, long electionTimeoutMs) {
    return new LeaderRouter(
        view,
        timer,
        2 * electionTimeoutMs,
        Math.max(5, electionTimeoutMs / 50),
        Math.max(1, electionTimeoutMs / 5));
  }

  /**
   * @param leaderWaitMs how long to wait for a leader to be known before answering "no leader"
   * @param retryPauseMs the pause before trying again after a hop that did nothing
   * @param replacedGraceMs how long a leader that another replaced may still answer a write it
   *     holds (it may have handed leadership over, or removed itself, and be about to answer)
   *     before the write is answered as of unknown outcome
   */
  public LeaderRouter(
      LeaderView view,
      TaskTimer timer,
      long leaderWaitMs,
      long retryPauseMs,
      long replacedGraceMs) {
    if (leaderWaitMs <= 0 || retryPauseMs <= 0 || replacedGraceMs <= 0) {
      throw new IllegalArgumentException(
          "leaderWaitMs="
              + leaderWaitMs
              + " retryPauseMs="
              + retryPauseMs
              + " replacedGraceMs="
              + replacedGraceMs
              + " must be positive");
    }
    this.view = view;
    this.timer = timer;
    this.leaderWaitMs = leaderWaitMs;
    this.retryPauseMs = retryPauseMs;
    this.replacedGraceMs = replacedGraceMs;
  }

  /**
   * Carries {@code work} out on the leader within {@code timeoutMs}. Completes with its answer, or
   * exceptionally with the work's own error (a refusal here), a {@link NodeException} of this node
   * that is not about leadership, or a {@link RouteFailure}.
   */
  public <A> CompletableFuture<A> route(LeaderWork<A> work, long timeoutMs) {
    Route<A> route = new Route<>(work, timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
    route.attempt(RaftNode.NONE, false);
    return route.result;
  }

  private final class Route<A> {
    private final LeaderWork<A> work;
    private final long deadlineNanos;
    private final CompletableFuture<A> result = new CompletableFuture<>();

    Route(LeaderWork<A> work, long deadlineNanos) {
      this.work = work;
      this.deadlineNanos = deadlineNanos;
    }

    /**
     * The deadline passed between tries. Every try so far did nothing (the route tries again only
     * then), so the answer is "no leader", safe to retry, not "request timed out".
     */
    private RouteFailure nothingDoneInTime() {
      return RouteFailure.noLeader();
    }

    private long remainingMs() {
      return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - timer.nowNanos());
    }

    /**
     * One try. {@code target}: a leader named by the node last asked (NONE: the one this node
     * knows); {@code hinted}: this try already follows a hint, so the next waits a pause first.
     */
    void attempt(long target, boolean hinted) {
      long remainingMs = remainingMs();
      if (remainingMs <= 0) {
        result.completeExceptionally(nothingDoneInTime());
        return;
      }
      NodeStatus status = view.status();
      // A named target wins over a status that may not show yet that this node stepped down.
      if (status.role() == Role.LEADER && target == RaftNode.NONE) {
        Deadlines.within(timer, work.runHere(remainingMs), remainingMs)
            .whenComplete((answer, error) -> afterLocal(answer, error, hinted));
        return;
      }
      long leader = target != RaftNode.NONE ? target : status.leaderId();
      if (leader == RaftNode.NONE) {
        waitForLeader(remainingMs);
      } else if (leader == status.nodeId()) {
        pauseThenAttempt(); // named leader, not leading yet: its role is about to change
      } else {
        CompletableFuture<A> forwarded = work.forward(leader, remainingMs);
        // A leader that froze or was cut off holds the write until the deadline; once another
        // leads a later term (and the old one did not answer within a short grace: a leader that
        // handed over or removed itself answers at once), its fate is unknown, and the client
        // hears so then.
        CompletableFuture<Void> replaced = view.whenLeaderReplaced(leader, status.term());
        replaced.thenRun(
            () -> {
              if (!forwarded.isDone()) {
                timer.schedule(
                    () -> forwarded.completeExceptionally(RouteFailure.leaderReplaced(leader)),
                    replacedGraceMs);
              }
            });
        // Done watching: completed, not cancelled, which would build two exceptions with their
        // stack traces for every forwarded write.
        forwarded.whenComplete((answer, error) -> replaced.complete(null));
        Deadlines.within(timer, forwarded, remainingMs)
            .whenComplete((answer, error) -> afterForward(leader, answer, error, hinted));
      }
    }

    private void afterLocal(A answer, Throwable error, boolean hinted) {
      if (error == null) {
        result.complete(answer);
        return;
      }
      Throwable cause = Failures.cause(error);
      if (cause instanceof NodeException ne && ne.kind() == NodeException.Kind.NOT_LEADER) {
        // The driver refused on its own thread: the next try (maybe a forward) starts elsewhere.
        timer.schedule(() -> followHint(ne.leaderId(), RaftNode.NONE, hinted), 0);
      } else if (cause instanceof NodeException ne
          && ne.kind() == NodeException.Kind.HANDING_OVER) {
        pauseThenAttempt(); // the role is about to change: the next try goes to the new leader
      } else if (cause instanceof NodeException ne && ne.kind() == NodeException.Kind.NO_LEADER) {
        if (view.status().leaderId() == RaftNode.NONE) {
          waitForLeader(remainingMs());
        } else {
          pauseThenAttempt(); // the role is about to change
        }
      } else if (cause instanceof TimeoutException) {
        result.completeExceptionally(RouteFailure.outcomeUnknown("no result in time"));
      } else {
        result.completeExceptionally(cause);
      }
    }

    private void afterForward(long leader, A answer, Throwable error, boolean hinted) {
      if (error == null) {
        result.complete(answer);
        return;
      }
      Throwable cause = Failures.cause(error);
      if (cause instanceof TimeoutException) {
        result.completeExceptionally(RouteFailure.outcomeUnknown("no answer from the leader"));
      } else if (cause instanceof RouteFailure f && f.nothingDone()) {
        log.debug("leader route retry leader={} kind={}", leader, f.kind());
        if (f.kind() == RouteFailure.Kind.NOT_LEADER) {
          followHint(f.leaderHint(), leader, hinted);
        } else {
          pauseThenAttempt();
        }
      } else {
        result.completeExceptionally(cause);
      }
    }

    /** A node named another leader: ask it at once, unless this route just followed a hint. */
    private void followHint(long hint, long asked, boolean hinted) {
      if (hint != RaftNode.NONE && hint != asked && !hinted) {
        attempt(hint, true);
      } else {
        pauseThenAttempt();
      }
    }

    private void pauseThenAttempt() {
      long remainingMs = remainingMs();
      if (remainingMs <= retryPauseMs) {
        result.completeExceptionally(nothingDoneInTime());
        return;
      }
      timer.schedule(() -> attempt(RaftNode.NONE, false), retryPauseMs);
    }

    private void waitForLeader(long remainingMs) {
      if (remainingMs <= 0) {
        result.completeExceptionally(nothingDoneInTime());
        return;
      }
      Deadlines.within(timer, view.whenLeaderKnown(), Math.min(remainingMs, leaderWaitMs))
          .whenComplete(
              (known, error) -> {
                if (error == null) {
                  attempt(RaftNode.NONE, false);
                } else {
                  result.completeExceptionally(RouteFailure.noLeader());
                }
              });
    }
  }
}
