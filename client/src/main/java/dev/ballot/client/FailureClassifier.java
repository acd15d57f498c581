package dev.ballot.client;

import io.grpc.Status;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Set;

/**
 * The retry policy: decides, from one failed attempt, whether the request may be sent again (to the
 * next endpoint) or how it ends.
 *
 * <p>Reads change nothing and are retried on every {@code UNAVAILABLE}. A write (including a
 * transaction or compare-and-swap, which is not idempotent) is retried only when the failure proves
 * it was not applied and never will be:
 *
 * <ul>
 *   <li>the request never left the client: the connection could not be made (refused, reset before
 *       the request, not connected in time), or the call failed before its message was handed to a
 *       transport stream, or the server refused the stream unprocessed ({@code GOAWAY} of a server
 *       shutting down, {@code REFUSED_STREAM}; see {@link SendTracker});
 *   <li>the server refused it before proposing it to Raft, with one of etcd's messages for that
 *       ({@link #REJECTED_BEFORE_PROPOSING});
 *   <li>{@code "etcdserver: leader changed"}: Ballot sends it for a write only after the Raft log
 *       entry of the write was replaced by a newer leader's entry at the same index, which is then
 *       applied instead, so the write can never apply; etcd sends it only for reads (ReadIndex).
 * </ul>
 *
 * <p>Everything else that is not a definite refusal leaves a write's outcome unknown, because it
 * may have been applied: {@code DEADLINE_EXCEEDED} after sending; {@code "etcdserver: request timed
 * out"} (and its variants), which etcd and Ballot send after the entry may have reached the log;
 * {@code "etcdserver: server stopped"}; and a connection lost after sending.
 */
final class FailureClassifier {
  static final String NO_LEADER = "etcdserver: no leader";
  static final String NOT_LEADER = "etcdserver: not leader";
  static final String LEARNER_REFUSES = "etcdserver: rpc not supported for learner";
  static final String NOT_CAPABLE = "etcdserver: not capable";
  static final String UNHEALTHY = "etcdserver: unhealthy cluster";
  static final String LEADER_CHANGED = "etcdserver: leader changed";

  /**
   * etcd's answers that come before the request reaches Raft: no leader to propose to, this node is
   * not the leader (etcd sends this one as {@code FAILED_PRECONDITION}), a learner that serves no
   * requests, a cluster version check that failed, a membership change refused because too few
   * voters are connected to survive it. The request was not proposed, so it cannot be applied
   * later.
   */
  static final Set<String> REJECTED_BEFORE_PROPOSING =
      Set.of(NO_LEADER, NOT_LEADER, LEARNER_REFUSES, NOT_CAPABLE, UNHEALTHY);

  /**
   * Every server answer that proves a write was not applied and never will be: the refusals before
   * proposing, and Ballot's {@code "etcdserver: leader changed"} (the write's log entry was
   * replaced).
   */
  static final Set<String> NEVER_APPLIED =
      Set.of(NO_LEADER, NOT_LEADER, LEARNER_REFUSES, NOT_CAPABLE, UNHEALTHY, LEADER_CHANGED);

  /** What to do after a failed attempt. */
  enum Verdict {
    /** Send the request again, to the next endpoint. */
    RETRY,
    /** Nothing was sent before the deadline: the cluster was unreachable. */
    UNREACHABLE,
    /** A read was sent and not answered before the deadline. */
    READ_TIMED_OUT,
    /** A write was sent and may or may not have been applied. */
    OUTCOME_UNKNOWN,
    /** The server answered with a definite error; nothing was written. */
    FAILED
  }

  private FailureClassifier() {}

  /**
   * Classifies one failed attempt.
   *
   * @param kind read or write
   * @param failure what the call failed with
   * @param requestMaybeSent whether the request message was handed to a transport stream
   */
  static Verdict classify(CallKind kind, Throwable failure, boolean requestMaybeSent) {
    Status status = Status.fromThrowable(failure);
    String message = status.getDescription();
    boolean notSent = !requestMaybeSent || isConnectFailure(failure);
    boolean neverApplied = message != null && NEVER_APPLIED.contains(message);
    switch (status.getCode()) {
      case UNAVAILABLE:
        if (kind == CallKind.READ || notSent || neverApplied) {
          return Verdict.RETRY;
        }
        return Verdict.OUTCOME_UNKNOWN;
      case FAILED_PRECONDITION:
        return neverApplied ? Verdict.RETRY : Verdict.FAILED;
      case DEADLINE_EXCEEDED:
        if (notSent) {
          return Verdict.UNREACHABLE;
        }
        return kind == CallKind.READ ? Verdict.READ_TIMED_OUT : Verdict.OUTCOME_UNKNOWN;
      case CANCELLED:
      case UNKNOWN:
      case INTERNAL:
      case ABORTED:
        // No definite refusal: a write that went out may have been applied.
        return kind == CallKind.WRITE && !notSent ? Verdict.OUTCOME_UNKNOWN : Verdict.FAILED;
      default:
        return Verdict.FAILED;
    }
  }

  /** The exception for a definite error answer. */
  static BallotException definiteFailure(Throwable failure, String endpoint) {
    Status status = Status.fromThrowable(failure);
    String message = describe(failure);
    switch (status.getCode()) {
      case INVALID_ARGUMENT:
      case OUT_OF_RANGE:
        return new InvalidRequestException(status.getCode(), message, endpoint, failure);
      case RESOURCE_EXHAUSTED:
        return new ResourceExhaustedException(message, endpoint, failure);
      default:
        return new BallotException(
            message, status.getCode(), status.getDescription(), endpoint, failure);
    }
  }

  /** Whether the failure is (caused by) a connection that could not be made. */
  static boolean isConnectFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof UnknownHostException
          || t instanceof UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  /**
   * One line for a failure: etcd's message as it is, otherwise the code with gRPC's description and
   * the innermost cause (such as "Connection refused").
   */
  static String describe(Throwable failure) {
    Status status = Status.fromThrowable(failure);
    String message = status.getDescription();
    if (message != null && message.startsWith("etcdserver:")) {
      return message;
    }
    if (isConnectFailure(failure)) {
      return "cannot connect: " + rootCause(failure).getMessage();
    }
    StringBuilder line = new StringBuilder(status.getCode().toString());
    if (message != null) {
      line.append(": ").append(message);
    }
    Throwable root = status.getCause() == null ? null : rootCause(status.getCause());
    if (root != null && root.getMessage() != null && !root.getMessage().equals(message)) {
      line.append(": ").append(root.getMessage());
    }
    return line.toString();
  }

  private static Throwable rootCause(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }
}
