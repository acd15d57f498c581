package dev.ballot.watch;

import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * etcd's Watch service: one bidirectional stream per call, carrying any number of watchers that the
 * {@link WatchHub} serves. Requests are handled on gRPC's network thread and only take the hub's
 * lock briefly; reading history happens on the hub's thread.
 */
public final class WatchService extends WatchGrpc.WatchImplBase {
  private final WatchHub hub;

  public WatchService(WatchHub hub) {
    this.hub = hub;
  }

  /**
   * Whether the call carries etcd's {@code hasleader} metadata (clientv3's WithRequireLeader): its
   * watches end with "etcdserver: no leader" when this node has none, instead of going quiet.
   */
  private static final Metadata.Key<String> HAS_LEADER =
      Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  private static final Context.Key<Boolean> REQUIRES_LEADER = Context.key("requiresLeader");

  /** The service with the interceptor that reads {@code hasleader}. */
  public ServerServiceDefinition withMetadata() {
    return ServerInterceptors.intercept(
        this,
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            boolean requires = "true".equals(headers.get(HAS_LEADER));
            return Contexts.interceptCall(
                Context.current().withValue(REQUIRES_LEADER, requires), call, headers, next);
          }
        });
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> out =
        (ServerCallStreamObserver<WatchResponse>) responses;
    WatchStream stream = hub.open(out, Boolean.TRUE.equals(REQUIRES_LEADER.get()));
    out.setOnCancelHandler(() -> hub.close(stream));
    return new StreamObserver<>() {
      @Override
      public void onNext(WatchRequest request) {
        switch (request.getRequestUnionCase()) {
          case CREATE_REQUEST -> hub.create(stream, request.getCreateRequest());
          case CANCEL_REQUEST -> hub.cancel(stream, request.getCancelRequest().getWatchId());
          case PROGRESS_REQUEST -> hub.requestProgress(stream);
          case REQUESTUNION_NOT_SET -> {} // etcd ignores an empty request too
        }
      }

      @Override
      public void onError(Throwable t) {
        hub.close(stream);
      }

      @Override
      public void onCompleted() {
        hub.close(stream);
        stream.complete();
      }
    };
  }
}
