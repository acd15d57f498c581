package dev.ballot.api;

import dev.ballot.node.NodeException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The errors a client sees, with etcd's codes and messages (api/v3rpc/rpctypes) so that etcd's
 * clients react to them as they do with etcd.
 */
final class EtcdStatus {
  static final StatusRuntimeException NO_LEADER = unavailable("etcdserver: no leader");
  static final StatusRuntimeException NOT_LEADER =
      Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader").asRuntimeException();
  static final StatusRuntimeException LEADER_CHANGED = unavailable("etcdserver: leader changed");
  static final StatusRuntimeException TIMEOUT = unavailable("etcdserver: request timed out");
  static final StatusRuntimeException STOPPED = unavailable("etcdserver: server stopped");
  static final StatusRuntimeException INTERNAL =
      Status.INTERNAL
          .withDescription("etcdserver: internal error (see the server log)")
          .asRuntimeException();
  static final StatusRuntimeException TOO_MANY_REQUESTS =
      Status.RESOURCE_EXHAUSTED
          .withDescription("etcdserver: too many requests")
          .asRuntimeException();

  private EtcdStatus() {}

  private static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException of(NodeException e) {
    return switch (e.kind()) {
      case NOT_LEADER -> NOT_LEADER;
      case NO_LEADER -> NO_LEADER;
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
