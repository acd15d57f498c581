package dev.ballot.api;

import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.membership.Identity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Forwards a follower's writes to the leader's client port, one channel per member, opened on first
 * use. A forwarded call is marked so that it is never forwarded twice (no loops while leadership
 * moves).
 */
final class LeaderForwarder implements AutoCloseable {
  private static final Metadata.Key<String> FORWARDED =
      Metadata.Key.of("ballot-forwarded", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> FORWARDED_CALL = Context.key("ballot-forwarded");

  private final Identity identity;
  private final Map<Long, ManagedChannel> channels = new ConcurrentHashMap<>();

  LeaderForwarder(Identity identity) {
    this.identity = identity;
  }

  /** A stub to the leader's client port, with the deadline and the forwarded mark. */
  KVGrpc.KVFutureStub stubFor(long leaderId, long timeoutMs) {
    ManagedChannel channel =
        channels.computeIfAbsent(
            leaderId,
            id ->
                NettyChannelBuilder.forTarget(identity.member(id).clientAddr())
                    .usePlaintext()
                    .maxInboundMessageSize(ClientApi.MAX_GRPC_MESSAGE_BYTES)
                    .build());
    Metadata marker = new Metadata();
    marker.put(FORWARDED, "1");
    return KVGrpc.newFutureStub(channel)
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(marker));
  }

  /** True inside a call that another node forwarded here. */
  static boolean isForwarded() {
    return Boolean.TRUE.equals(FORWARDED_CALL.get());
  }

  /** Marks forwarded calls in their gRPC context. */
  static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (headers.containsKey(FORWARDED)) {
          return Contexts.interceptCall(
              Context.current().withValue(FORWARDED_CALL, true), call, headers, next);
        }
        return next.startCall(call, headers);
      }
    };
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
