package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import dev.ballot.etcd.mvcc.Event;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * One etcd watch over this node's own client port, on its own stream, in a child of the caller's
 * context: it ends when the listener has seen enough, when the watch fails, or when the caller goes
 * away, and ending it cancels the stream.
 */
final class RecipeWatch {
  private RecipeWatch() {}

  /**
   * Watches from {@code create}'s revision and hands each response with events to {@code
   * keepWatching} (on a gRPC thread, one at a time) until it answers false.
   *
   * @return completes normally when the listener stopped, exceptionally when the watch failed
   */
  static CompletableFuture<Void> run(
      LoopbackClient client,
      Context parent,
      WatchCreateRequest create,
      Predicate<WatchResponse> keepWatching) {
    CompletableFuture<Void> ended = new CompletableFuture<>();
    Context.CancellableContext scope = parent.withCancellation();
    ended.whenComplete((ignored, error) -> scope.cancel(null));
    scope.run(
        () -> {
          StreamObserver<WatchRequest> requests =
              client
                  .watch()
                  .watch(
                      new StreamObserver<>() {
                        @Override
                        public void onNext(WatchResponse response) {
                          if (ended.isDone()) {
                            return;
                          }
                          if (response.getCanceled()) {
                            ended.completeExceptionally(
                                response.getCompactRevision() > 0
                                    ? RecipeErrors.compacted()
                                    : RecipeErrors.plain(response.getCancelReason()));
                          } else if (response.getEventsCount() > 0
                              && !keepWatching.test(response)) {
                            ended.complete(null);
                          }
                        }

                        @Override
                        public void onError(Throwable t) {
                          ended.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                          // etcd's recipes: "lost watcher waiting for delete"
                          ended.completeExceptionally(
                              Status.UNAVAILABLE
                                  .withDescription("lost watcher waiting for delete")
                                  .asRuntimeException());
                        }
                      });
          requests.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
        });
    return ended;
  }

  /** Completes when {@code key} is deleted at {@code fromRevision} or later. */
  static CompletableFuture<Void> deletion(
      LoopbackClient client, Context parent, ByteString key, long fromRevision) {
    WatchCreateRequest create =
        WatchCreateRequest.newBuilder().setKey(key).setStartRevision(fromRevision).build();
    return run(
        client,
        parent,
        create,
        response ->
            response.getEventsList().stream()
                .noneMatch(event -> event.getType() == Event.EventType.DELETE));
  }
}
