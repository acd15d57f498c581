package dev.ballot.cluster;

import dev.ballot.node.NodeException;
import dev.ballot.proto.raft.v1.LeaderRefusal;
import dev.ballot.transport.Failures;
import io.grpc.Status;
import java.util.concurrent.TimeoutException;

/**
 * The typed refusal a forwarded request carries back from the node it reached, both ways: the
 * leader side turns its failure into a {@link LeaderRefusal}, the follower side into a {@link
 * RouteFailure} it decides by.
 */
public final class ForwardRefusals {
  private ForwardRefusals() {}

  /** Leader side: why {@code error} means the request was not carried out (or may have been). */
  public static LeaderRefusal toWire(Throwable error) {
    Throwable cause = Failures.cause(error);
    LeaderRefusal.Builder b = LeaderRefusal.newBuilder();
    if (cause instanceof NodeException ne && ne.kind() == NodeException.Kind.NOT_LEADER) {
      return b.setKind(LeaderRefusal.Kind.NOT_LEADER).setLeaderHint(ne.leaderId()).build();
    }
    if (cause instanceof NodeException ne
        && (ne.kind() == NodeException.Kind.NO_LEADER
            || ne.kind() == NodeException.Kind.HANDING_OVER)) {
      return b.setKind(LeaderRefusal.Kind.NO_LEADER).build();
    }
    if (cause instanceof RouteFailure f && f.kind() != RouteFailure.Kind.REFUSED) {
      return switch (f.kind()) {
        case NOT_LEADER ->
            b.setKind(LeaderRefusal.Kind.NOT_LEADER).setLeaderHint(f.leaderHint()).build();
        case NO_LEADER, NEVER_SENT -> b.setKind(LeaderRefusal.Kind.NO_LEADER).build();
        default -> b.setKind(LeaderRefusal.Kind.OUTCOME_UNKNOWN).build();
      };
    }
    if (cause instanceof TimeoutException) {
      return b.setKind(LeaderRefusal.Kind.OUTCOME_UNKNOWN).build();
    }
    Status status = ClientStatus.of(cause).getStatus();
    return b.setKind(LeaderRefusal.Kind.REFUSED)
        .setCode(status.getCode().value())
        .setMessage(status.getDescription() == null ? "" : status.getDescription())
        .build();
  }

  /** Follower side: the failure the route decides by. */
  public static RouteFailure fromWire(LeaderRefusal refusal) {
    return switch (refusal.getKind()) {
      case NOT_LEADER -> RouteFailure.notLeader(refusal.getLeaderHint());
      case NO_LEADER -> RouteFailure.noLeader();
      case REFUSED ->
          RouteFailure.refused(
              Status.fromCodeValue(refusal.getCode()).withDescription(refusal.getMessage()));
      case OUTCOME_UNKNOWN, KIND_UNSPECIFIED, UNRECOGNIZED ->
          RouteFailure.outcomeUnknown("the leader answered " + refusal.getKind());
    };
  }
}
