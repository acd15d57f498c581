package dev.ballot.recipes;

import dev.ballot.etcd.api.LeaseGrantRequest;
import io.grpc.Context;
import java.util.concurrent.CompletableFuture;

/**
 * The lease a recipe's key is put with: the caller's, or (lease 0, as etcd's concurrency session) a
 * new one of 60 s that nobody keeps alive, so an abandoned key still goes away.
 */
final class Sessions {
  /** etcd's concurrency.defaultSessionTTL. */
  static final long DEFAULT_SESSION_TTL_SECONDS = 60;

  private final LoopbackClient client;

  Sessions(LoopbackClient client) {
    this.client = client;
  }

  CompletableFuture<Long> lease(Context context, long requested) {
    if (requested != 0) {
      return CompletableFuture.completedFuture(requested);
    }
    LeaseGrantRequest grant =
        LeaseGrantRequest.newBuilder().setTTL(DEFAULT_SESSION_TTL_SECONDS).build();
    return Unary.<dev.ballot.etcd.api.LeaseGrantResponse>call(
            context, out -> client.lease().leaseGrant(grant, out))
        .thenApply(granted -> granted.getID());
  }
}
