package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.election.LeaderResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.KeyRanges;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * One Observe stream, as etcd's Election.observe: the current leader (or, with none, the first one
 * to be put), then each value it proclaims, until its key is deleted; then the next leader. One
 * step runs at a time, so responses leave in revision order. Like etcd's, the stream ends normally
 * when a read or a watch fails.
 */
final class LeaderObserver {
  private final LoopbackClient client;
  private final RecipeKv kv;
  private final Context call;
  private final ByteString prefix;
  private final ServerCallStreamObserver<LeaderResponse> out;

  LeaderObserver(
      LoopbackClient client,
      RecipeKv kv,
      Context call,
      ByteString prefix,
      ServerCallStreamObserver<LeaderResponse> out) {
    this.client = client;
    this.kv = kv;
    this.call = call;
    this.prefix = prefix;
    this.out = out;
  }

  void start() {
    // A cancelled caller ends the steps through the call's context; nothing more to send then.
    out.setOnCancelHandler(() -> {});
    nextLeader();
  }

  private void nextLeader() {
    kv.firstCreated(call, prefix)
        .thenCompose(
            first -> {
              if (first.getKvsCount() > 0) {
                return CompletableFuture.completedFuture(
                    leaderAt(first.getHeader(), first.getKvs(0)));
              }
              return firstPutFrom(first.getHeader().getRevision());
            })
        .whenComplete(
            (leader, error) -> {
              if (error != null) {
                end();
                return;
              }
              send(leader);
              follow(leader.getKv().getKey(), leader.getHeader().getRevision() + 1);
            });
  }

  /** With no leader: the first key put under the prefix from {@code revision} on. */
  private CompletableFuture<LeaderResponse> firstPutFrom(long revision) {
    CompletableFuture<LeaderResponse> first = new CompletableFuture<>();
    WatchCreateRequest create =
        WatchCreateRequest.newBuilder()
            .setKey(prefix)
            .setRangeEnd(KeyRanges.prefixEnd(prefix))
            .setStartRevision(revision)
            .build();
    RecipeWatch.run(
            client,
            call,
            create,
            response -> {
              for (Event event : response.getEventsList()) {
                if (event.getType() == Event.EventType.PUT) {
                  // As etcd: the header's revision is the put's, one response may hold several.
                  ResponseHeader header =
                      response.getHeader().toBuilder()
                          .setRevision(event.getKv().getModRevision())
                          .build();
                  first.complete(leaderAt(header, event.getKv()));
                  return false;
                }
              }
              return true;
            })
        .whenComplete(
            (stopped, error) -> {
              if (error != null) {
                first.completeExceptionally(error);
              }
            });
    return first;
  }

  /** Each value the leader's key takes from {@code revision} until it is deleted. */
  private void follow(ByteString leaderKey, long revision) {
    WatchCreateRequest create =
        WatchCreateRequest.newBuilder().setKey(leaderKey).setStartRevision(revision).build();
    RecipeWatch.run(
            client,
            call,
            create,
            response -> {
              for (Event event : response.getEventsList()) {
                if (event.getType() == Event.EventType.DELETE) {
                  return false;
                }
                send(leaderAt(response.getHeader(), event.getKv()));
              }
              return true;
            })
        .whenComplete(
            (deleted, error) -> {
              if (error != null) {
                end();
              } else {
                nextLeader();
              }
            });
  }

  private static LeaderResponse leaderAt(ResponseHeader header, KeyValue kv) {
    return LeaderResponse.newBuilder().setHeader(header).setKv(kv).build();
  }

  private synchronized void send(LeaderResponse response) {
    if (!out.isCancelled()) {
      out.onNext(response);
    }
  }

  private synchronized void end() {
    if (!out.isCancelled()) {
      out.onCompleted();
    }
  }
}
