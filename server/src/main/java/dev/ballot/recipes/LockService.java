package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.etcd.lock.LockGrpc;
import dev.ballot.etcd.lock.LockRequest;
import dev.ballot.etcd.lock.LockResponse;
import dev.ballot.etcd.lock.UnlockRequest;
import dev.ballot.etcd.lock.UnlockResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's v3lock.Lock, as etcd serves it (clientv3/concurrency's Mutex run against this node): the
 * lock NAME is held by the oldest key under {@code NAME/}; a locker puts {@code NAME/<lease hex>}
 * with its lease and waits for every older key to go. The key's create revision is the lock's
 * fencing token: it only grows from one holder to the next.
 */
public final class LockService extends LockGrpc.LockImplBase {
  private static final Logger log = LoggerFactory.getLogger(LockService.class);

  private final RecipeKv kv;
  private final Sessions sessions;
  private final Turn turn;

  public LockService(LoopbackClient client) {
    this.kv = new RecipeKv(client);
    this.sessions = new Sessions(client);
    this.turn = new Turn(client, kv);
  }

  @Override
  public void lock(LockRequest request, StreamObserver<LockResponse> out) {
    Context call = Context.current();
    ByteString prefix = Prefixes.of(request.getName());
    CompletableFuture<LockResponse> locked =
        sessions
            .lease(call, request.getLease())
            .thenCompose(
                lease -> {
                  ByteString key = Prefixes.contenderKey(prefix, lease);
                  return kv.createOrGet(call, key, ByteString.EMPTY, lease, prefix)
                      .thenCompose(queued -> awaitTurn(call, prefix, key, queued));
                });
    Replies.send(locked, out);
  }

  private CompletableFuture<LockResponse> awaitTurn(
      Context call, ByteString prefix, ByteString key, TxnResponse queued) {
    long revision = queued.getHeader().getRevision();
    long myRevision =
        queued.getSucceeded()
            ? revision
            : queued.getResponses(0).getResponseRange().getKvs(0).getCreateRevision();
    var owner = queued.getResponses(1).getResponseRange();
    if (owner.getKvsCount() == 0 || owner.getKvs(0).getCreateRevision() == myRevision) {
      return CompletableFuture.completedFuture(answer(queued.getHeader(), key));
    }
    log.debug(
        "lock waiting key={} create_revision={} owner={}",
        key.toStringUtf8(),
        myRevision,
        owner.getKvs(0).getKey().toStringUtf8());
    return turn.await(call, prefix, key, myRevision, revision, RecipeErrors.LOCK_SESSION_EXPIRED)
        .handle(
            (header, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(answer(header, key));
              }
              // As etcd's Mutex: a wait that ends without the lock takes its key out of the queue
              // (the caller cancelled, its deadline passed, or a step failed), outside the call's
              // context, which may be cancelled already.
              kv.delete(Context.ROOT, key)
                  .whenComplete(
                      (deleted, deleteError) -> {
                        if (deleteError != null) {
                          log.warn(
                              "lock key not removed after a failed wait key={} error={}",
                              key.toStringUtf8(),
                              RecipeErrors.statusOf(deleteError));
                        }
                      });
              return CompletableFuture.<LockResponse>failedFuture(error);
            })
        .thenCompose(result -> result);
  }

  private static LockResponse answer(ResponseHeader header, ByteString key) {
    return LockResponse.newBuilder().setHeader(header).setKey(key).build();
  }

  @Override
  public void unlock(UnlockRequest request, StreamObserver<UnlockResponse> out) {
    Replies.send(
        kv.delete(Context.current(), request.getKey())
            .thenApply(
                deleted -> UnlockResponse.newBuilder().setHeader(deleted.getHeader()).build()),
        out);
  }
}
