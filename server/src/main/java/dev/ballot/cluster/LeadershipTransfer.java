package dev.ballot.cluster;

import dev.ballot.membership.AppliedMembership;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader only: hands leadership to a voter and completes once that voter leads in a later term.
 * Watches the node's status in timer-driven steps, never a sleeping thread.
 */
public final class LeadershipTransfer {
  private static final Logger log = LoggerFactory.getLogger(LeadershipTransfer.class);

  private static final long CHECK_INTERVAL_MS = 10;

  private final RaftDriver<?> driver;
  private final AppliedMembership members;
  private final TaskTimer timer;
  private final long giveUpMs;

  /**
   * @param giveUpMs how long the target may take to lead before the transfer is reported late
   */
  public LeadershipTransfer(
      RaftDriver<?> driver, AppliedMembership members, TaskTimer timer, long giveUpMs) {
    this.driver = driver;
    this.members = members;
    this.timer = timer;
    this.giveUpMs = giveUpMs;
  }

  /**
   * On the driver's thread: the voter other than this node with the highest match index among those
   * {@code eligible}, the one a transfer reaches soonest; {@link RaftNode#NONE} if there is none.
   */
  public static long mostUpToDateVoter(RaftNode node, LongPredicate eligible) {
    long best = RaftNode.NONE;
    long bestMatch = -1;
    for (long voter : node.cluster().voters()) {
      if (voter != node.id() && eligible.test(voter) && node.matchIndex(voter) > bestMatch) {
        best = voter;
        bestMatch = node.matchIndex(voter);
      }
    }
    return best;
  }

  /** Completes once {@code target} leads; at once if it does already. */
  public CompletableFuture<Void> transfer(long target) {
    if (driver.status().leaderId() == target) {
      return CompletableFuture.completedFuture(null);
    }
    var member = members.members().member(target);
    if (member.isEmpty() || member.get().learner()) {
      return CompletableFuture.failedFuture(
          Status.FAILED_PRECONDITION
              .withDescription("etcdserver: bad leader transferee")
              .asRuntimeException());
    }
    long giveUpNanos = timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(giveUpMs);
    return driver
        .call(
            node -> {
              try {
                node.transferLeadership(target);
              } catch (ProposalRejectedException e) {
                throw RaftDriver.refusal(e);
              }
              return node.term();
            })
        .thenCompose(
            term -> {
              CompletableFuture<Void> done = new CompletableFuture<>();
              check(target, term, giveUpNanos, done);
              return done;
            });
  }

  private void check(long target, long term, long giveUpNanos, CompletableFuture<Void> done) {
    NodeStatus status = driver.status();
    if (status.leaderId() == target && status.term() > term) {
      log.info("leadership transferred to node={} term={}", target, status.term());
      done.complete(null);
    } else if (timer.nowNanos() - giveUpNanos > 0) {
      done.completeExceptionally(
          Status.UNAVAILABLE
              .withDescription("etcdserver: request timed out, leader transfer took too long")
              .asRuntimeException());
    } else {
      timer.schedule(() -> check(target, term, giveUpNanos, done), CHECK_INTERVAL_MS);
    }
  }
}
