package dev.ballot.cluster;

import dev.ballot.node.EtcdStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;

/**
 * Why work meant for the leader got no result, as a kind the route decides by (never by message
 * text). etcd's text for it is made only at the client edge, by {@link #toStatus()}.
 */
public final class RouteFailure extends RuntimeException {
  /** What can have happened to the work. */
  public enum Kind {
    /** The hop to the leader failed before the request left this node: nothing done. */
    NEVER_SENT,
    /** The node asked does not lead ({@link #leaderHint()} may name who does): nothing done. */
    NOT_LEADER,
    /** No leader is known: nothing done. */
    NO_LEADER,
    /** The leader refused it with {@link #refusal()}, etcd's answer: nothing done. */
    REFUSED,
    /** It may or may not have happened (no answer in time, or the link broke after sending). */
    OUTCOME_UNKNOWN
  }

  private final Kind kind;
  private final long leaderHint;
  private final Status refusal;

  private RouteFailure(Kind kind, long leaderHint, Status refusal, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.leaderHint = leaderHint;
    this.refusal = refusal;
  }

  public static RouteFailure neverSent(String why) {
    return new RouteFailure(Kind.NEVER_SENT, 0, null, why);
  }

  public static RouteFailure notLeader(long leaderHint) {
    return new RouteFailure(Kind.NOT_LEADER, leaderHint, null, "not leader, hint=" + leaderHint);
  }

  public static RouteFailure noLeader() {
    return new RouteFailure(Kind.NO_LEADER, 0, null, "no leader");
  }

  public static RouteFailure refused(Status refusal) {
    return new RouteFailure(Kind.REFUSED, 0, refusal, String.valueOf(refusal));
  }

  public static RouteFailure outcomeUnknown(String why) {
    return new RouteFailure(Kind.OUTCOME_UNKNOWN, 0, null, why);
  }

  /**
   * The leader that had the work lost its leadership to another before answering: it may or may not
   * have happened. Clients see etcd's answer for a leader that failed under a request.
   */
  public static RouteFailure leaderReplaced(long formerLeader) {
    return new RouteFailure(
        Kind.OUTCOME_UNKNOWN,
        0,
        EtcdStatus.TIMEOUT_LEADER_FAIL.getStatus(),
        "leader " + formerLeader + " was replaced before it answered");
  }

  /**
   * A gRPC hop to the leader failed with {@code status}: never sent if the connection was refused,
   * else the leader may have carried it out.
   */
  public static RouteFailure ofFailedHop(Status status) {
    return refusedConnection(status)
        ? neverSent("connection refused: " + status)
        : outcomeUnknown("peer call failed: " + status);
  }

  private static boolean refusedConnection(Status s) {
    for (Throwable c = s.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  public Kind kind() {
    return kind;
  }

  /** For {@link Kind#NOT_LEADER}: the leader the node asked knows (0: none). */
  public long leaderHint() {
    return leaderHint;
  }

  /**
   * For {@link Kind#REFUSED}: the leader's answer, etcd's code and message; for some {@link
   * Kind#OUTCOME_UNKNOWN} failures, the answer a client sees.
   */
  public Status refusal() {
    return refusal;
  }

  /** Whether nothing can have happened, so that trying again is safe. */
  public boolean nothingDone() {
    return kind == Kind.NEVER_SENT || kind == Kind.NOT_LEADER || kind == Kind.NO_LEADER;
  }

  /** What a client sees (etcd's code and message). */
  public StatusRuntimeException toStatus() {
    return switch (kind) {
      case NEVER_SENT, NO_LEADER -> EtcdStatus.NO_LEADER;
      case NOT_LEADER -> EtcdStatus.NOT_LEADER;
      case REFUSED -> refusal.asRuntimeException();
      case OUTCOME_UNKNOWN -> refusal != null ? refusal.asRuntimeException() : EtcdStatus.TIMEOUT;
    };
  }
}
