package dev.ballot.http;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.kv.Alarms;
import dev.ballot.transport.Failures;
import io.grpc.StatusRuntimeException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /health}, {@code /readyz}, {@code /livez}: what a load balancer or Kubernetes asks.
 * Healthy and ready mean the node knows a leader, has no alarm, and a linearizable read through its
 * client port succeeds (a quorum answers), as etcd's {@code /health} checks.
 */
final class Probes {
  private final NodeView node;
  private final Loopback loopback;

  Probes(NodeView node, Loopback loopback) {
    this.node = node;
    this.loopback = loopback;
  }

  /** etcd's shape: {@code {"health":"true","reason":""}}, 503 when not healthy. */
  CompletableFuture<Reply> health() {
    return check()
        .thenApply(
            reason ->
                Reply.json(
                    reason.isEmpty()
                        ? HttpResponseStatus.OK
                        : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    JsonCodec.object()
                        .put("health", Boolean.toString(reason.isEmpty()))
                        .put("reason", reason)));
  }

  /** {@code ok}, or 503 with the reason. */
  CompletableFuture<Reply> readyz() {
    return check()
        .thenApply(
            reason ->
                reason.isEmpty()
                    ? Reply.text(HttpResponseStatus.OK, "ok\n")
                    : Reply.text(
                        HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + reason + "\n"));
  }

  /** The process answers and its store can be read locally. */
  Reply livez() {
    node.kv().revision();
    return Reply.text(HttpResponseStatus.OK, "ok\n");
  }

  /** "" when healthy, else why not (etcd's reasons where it has one). */
  private CompletableFuture<String> check() {
    if (node.status().leaderId() == 0) {
      return CompletableFuture.completedFuture("RAFT NO LEADER");
    }
    Alarms alarms = node.kv().alarms();
    if (!alarms.members().isEmpty()) {
      StringBuilder s = new StringBuilder("ALARM");
      alarms.members().forEach(a -> s.append(' ').append(a.getAlarm().name()));
      return CompletableFuture.completedFuture(s.toString());
    }
    RangeRequest read =
        RangeRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("health"))
            .setCountOnly(true)
            .build();
    return Loopback.call(loopback.kv()::range, read)
        .handle(
            (answer, error) -> {
              if (error == null) {
                return "";
              }
              Throwable cause = Failures.cause(error);
              return "QGET ERROR: "
                  + (cause instanceof StatusRuntimeException s
                      ? String.valueOf(s.getStatus().getDescription())
                      : cause.toString());
            });
  }
}
