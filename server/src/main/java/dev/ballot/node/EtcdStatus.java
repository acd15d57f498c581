package dev.ballot.node;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The errors a client sees, with etcd's codes and messages (api/v3rpc/rpctypes) so that etcd's
 * clients react to them as they do with etcd.
 */
public final class EtcdStatus {
  public static final StatusRuntimeException NO_LEADER = unavailable("etcdserver: no leader");
  public static final StatusRuntimeException NOT_LEADER =
      Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader").asRuntimeException();
  public static final StatusRuntimeException LEADER_CHANGED =
      unavailable("etcdserver: leader changed");
  public static final StatusRuntimeException TIMEOUT = unavailable("etcdserver: request timed out");

  /**
   * A request whose leader lost its leadership before answering (etcd's ErrTimeoutDueToLeaderFail).
   */
  public static final StatusRuntimeException TIMEOUT_LEADER_FAIL =
      unavailable("etcdserver: request timed out, possibly due to previous leader failure");

  public static final StatusRuntimeException STOPPED = unavailable("etcdserver: server stopped");

  /** A membership change that would leave no live majority of voters (etcd's ErrGRPCUnhealthy). */
  public static final StatusRuntimeException UNHEALTHY =
      unavailable("etcdserver: unhealthy cluster");

  public static final StatusRuntimeException INTERNAL =
      Status.INTERNAL
          .withDescription("etcdserver: internal error (see the server log)")
          .asRuntimeException();
  public static final StatusRuntimeException TOO_MANY_REQUESTS =
      Status.RESOURCE_EXHAUSTED
          .withDescription("etcdserver: too many requests")
          .asRuntimeException();

  private EtcdStatus() {}

  private static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  /** What a client sees for a refusal of the node (etcd's code and message). */
  public static StatusRuntimeException of(NodeException e) {
    return switch (e.kind()) {
      case NOT_LEADER -> NOT_LEADER;
      case NO_LEADER, HANDING_OVER -> NO_LEADER;
      case OVERLOADED -> TOO_MANY_REQUESTS;
      case LEADER_CHANGED -> LEADER_CHANGED;
      case STOPPED -> STOPPED;
      case CONFIG_REFUSED ->
          Status.FAILED_PRECONDITION
              .withDescription("etcdserver: membership change refused: " + e.getMessage())
              .asRuntimeException();
    };
  }
}
