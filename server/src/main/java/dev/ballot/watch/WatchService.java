package dev.ballot.watch;

import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
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

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> out =
        (ServerCallStreamObserver<WatchResponse>) responses;
    WatchStream stream = hub.open(out);
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
