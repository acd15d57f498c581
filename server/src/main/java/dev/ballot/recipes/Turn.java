package dev.ballot.recipes;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import io.grpc.Context;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's waitDeletes for a contender in a queue of keys under one prefix: waits, watching one key
 * at a time, until no key created before the contender's own remains. Unlike etcd 3.4 it also
 * watches the contender's key, so that a wait ends as soon as that key is gone (its lease expired
 * or was revoked, or someone deleted it) instead of later reporting a turn it no longer has.
 */
final class Turn {
  private final LoopbackClient client;
  private final RecipeKv kv;

  Turn(LoopbackClient client, RecipeKv kv) {
    this.client = client;
    this.kv = kv;
  }

  /**
   * @param ownKey the contender's key, created at {@code ownCreateRevision} and known to exist at
   *     {@code seenAtRevision}
   * @param lostMessage the error when the contender's key is deleted before its turn
   * @return the header of the read that found no earlier contender
   */
  CompletableFuture<ResponseHeader> await(
      Context parent,
      ByteString prefix,
      ByteString ownKey,
      long ownCreateRevision,
      long seenAtRevision,
      String lostMessage) {
    CompletableFuture<ResponseHeader> turn = new CompletableFuture<>();
    Context.CancellableContext scope = parent.withCancellation();
    turn.whenComplete((header, error) -> scope.cancel(null));
    RecipeWatch.deletion(client, scope, ownKey, seenAtRevision + 1)
        .whenComplete(
            (deleted, error) ->
                turn.completeExceptionally(
                    error != null ? error : RecipeErrors.plain(lostMessage)));
    predecessorsGone(scope, prefix, ownCreateRevision - 1)
        .thenCompose(
            header ->
                kv.get(scope, ownKey)
                    .thenApply(
                        own -> {
                          // Later keys are created at later revisions: still here means first.
                          if (own.getKvsCount() == 0
                              || own.getKvs(0).getCreateRevision() != ownCreateRevision) {
                            throw RecipeErrors.plain(lostMessage);
                          }
                          return header;
                        }))
        .whenComplete(
            (header, error) -> {
              if (error != null) {
                turn.completeExceptionally(error);
              } else {
                turn.complete(header);
              }
            });
    return turn;
  }

  private CompletableFuture<ResponseHeader> predecessorsGone(
      Context scope, ByteString prefix, long maxCreateRevision) {
    return kv.lastCreatedUpTo(scope, prefix, maxCreateRevision)
        .thenCompose(
            (RangeResponse last) -> {
              if (last.getKvsCount() == 0) {
                return CompletableFuture.completedFuture(last.getHeader());
              }
              return RecipeWatch.deletion(
                      client, scope, last.getKvs(0).getKey(), last.getHeader().getRevision())
                  .thenCompose(deleted -> predecessorsGone(scope, prefix, maxCreateRevision));
            });
  }
}
