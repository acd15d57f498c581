package dev.ballot.cluster;

import dev.ballot.membership.AppliedMembership;
import dev.ballot.node.RaftDriver;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.transport.Failures;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader told to stop (SIGTERM, SIGINT) first hands leadership to the most up-to-date voter that
 * answered it within the last election timeout, so that the cluster need not wait for an election:
 * writes pause for the few milliseconds the transfer takes. It then waits until it has applied its
 * log, so that writes it accepted as leader (its own clients' and those followers forwarded) are
 * answered before it closes its ports. Every wait is bounded; a handover that fails is logged and
 * the node stops anyway.
 */
public final class StopHandover {
  private static final Logger log = LoggerFactory.getLogger(StopHandover.class);

  /** What this node knew as leader when the handover began. */
  private record Plan(
      int otherVoters, long target, long targetMatchIndex, long lastIndex, long term) {}

  private final RaftDriver<?> driver;
  private final AppliedMembership members;
  private final TaskTimer timer;
  private final long electionTimeoutMs;

  public StopHandover(
      RaftDriver<?> driver, AppliedMembership members, TaskTimer timer, long electionTimeoutMs) {
    this.driver = driver;
    this.members = members;
    this.timer = timer;
    this.electionTimeoutMs = electionTimeoutMs;
  }

  /**
   * Hands leadership over if this node leads a cluster with other voters, waiting at most two
   * election timeouts for the new leader and one more for the rest of the log to apply. Returns
   * false if a handover was due and did not happen.
   */
  public boolean run() throws InterruptedException {
    long selfId = driver.status().nodeId();
    Plan plan;
    try {
      plan = driver.call(StopHandover::plan).get(electionTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("leadership handover on stop failed node={} error=\"{}\"", selfId, reason(e));
      return false;
    }
    if (plan == null || plan.otherVoters() == 0) {
      return true; // not the leader, or the only voter: nothing to hand over
    }
    if (plan.target() == RaftNode.NONE) {
      log.warn(
          "leadership handover on stop skipped node={} term={} reason=\"no other voter answered"
              + " within an election timeout\"",
          selfId,
          plan.term());
      return false;
    }
    log.info(
        "leadership handover on stop started node={} term={} target={} target_match_index={}"
            + " last_index={}",
        selfId,
        plan.term(),
        plan.target(),
        plan.targetMatchIndex(),
        plan.lastIndex());
    long startNanos = timer.nowNanos();
    LeadershipTransfer transfer =
        new LeadershipTransfer(driver, members, timer, 2 * electionTimeoutMs);
    try {
      // The transfer gives up by itself after two election timeouts; the extra bound only guards
      // against a timer that no longer runs.
      transfer.transfer(plan.target()).get(3 * electionTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "leadership handover on stop failed node={} target={} took_ms={} error=\"{}\"",
          selfId,
          plan.target(),
          elapsedMs(startNanos),
          reason(e));
      return false;
    }
    log.info(
        "leadership handover on stop done node={} leader={} term={} took_ms={}",
        selfId,
        plan.target(),
        driver.status().term(),
        elapsedMs(startNanos));
    // Entries proposed between the plan and the transfer's start are in this node's log as well.
    awaitApplied(selfId, Math.max(plan.lastIndex(), driver.status().lastIndex()));
    return true;
  }

  /**
   * Waits (one election timeout at most) until this node applied the entries it appended as leader:
   * the new leader commits them, and their waiting callers get their answers from here.
   */
  private void awaitApplied(long selfId, long lastIndex) throws InterruptedException {
    try {
      driver.whenApplied(lastIndex).get(electionTimeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "stopping before applying the log node={} last_index={} applied_index={}",
          selfId,
          lastIndex,
          driver.appliedIndex());
    }
  }

  /**
   * On the driver's thread: null if this node does not lead, else the voter to hand over to (NONE
   * if no other voter answered within an election timeout), the most up-to-date one.
   */
  private static Plan plan(RaftNode node) {
    if (node.role() != Role.LEADER) {
      return null;
    }
    int otherVoters = node.cluster().voters().size() - (node.cluster().isVoter(node.id()) ? 1 : 0);
    long best = LeadershipTransfer.mostUpToDateVoter(node, node::heardRecently);
    return new Plan(
        otherVoters,
        best,
        best == RaftNode.NONE ? -1 : node.matchIndex(best),
        node.lastIndex(),
        node.term());
  }

  private long elapsedMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(timer.nowNanos() - startNanos);
  }

  private static String reason(Exception e) {
    Throwable cause = e instanceof ExecutionException ? Failures.cause(e.getCause()) : e;
    return String.valueOf(cause.getMessage());
  }
}
