package dev.ballot.client;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.LeaseGrpc;
import dev.ballot.etcd.api.LeaseKeepAliveRequest;
import dev.ballot.etcd.api.LeaseLeasesRequest;
import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.etcd.api.LeaseStatus;
import dev.ballot.etcd.api.LeaseTimeToLiveRequest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's leases, from {@link BallotClient#leases()}. A lease is granted with a TTL in seconds; keys
 * put with it ({@link PutOptions#withLease}) are deleted when it is revoked, or when it expires
 * because no keep-alive renewed it within its TTL. Grant and revoke are writes (retried only when
 * nothing was applied); keep-alives and queries are retried like reads.
 */
public final class Leases {
  private final RequestRunner runner;

  Leases(RequestRunner runner) {
    this.runner = runner;
  }

  /**
   * Grants a lease with an id the server chooses.
   *
   * @param ttlSeconds the time to live; the server raises a TTL below its minimum to it
   * @return the lease's id and granted TTL
   */
  public CompletableFuture<LeaseGrant> grant(long ttlSeconds) {
    return grant(ttlSeconds, 0);
  }

  /**
   * Grants a lease with the given id; fails with "etcdserver: lease already exists" if it does.
   *
   * @param ttlSeconds the time to live
   * @param id the id, 0 to let the server choose
   * @return the lease's id and granted TTL
   */
  public CompletableFuture<LeaseGrant> grant(long ttlSeconds, long id) {
    LeaseGrantRequest request = LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).setID(id).build();
    return runner
        .call(LeaseGrpc.getLeaseGrantMethod(), request, CallKind.WRITE)
        .thenApply(r -> new LeaseGrant(r.getID(), r.getTTL(), r.getHeader().getRevision()));
  }

  /**
   * Revokes a lease and deletes its keys, all in one revision; fails with "etcdserver: requested
   * lease not found" if it does not exist.
   *
   * @param id the lease
   * @return the store revision after the revoke
   */
  public CompletableFuture<Long> revoke(long id) {
    return runner
        .call(
            LeaseGrpc.getLeaseRevokeMethod(),
            LeaseRevokeRequest.newBuilder().setID(id).build(),
            CallKind.WRITE)
        .thenApply(r -> r.getHeader().getRevision());
  }

  /**
   * Renews a lease once: it expires a granted TTL from now.
   *
   * @param id the lease
   * @return the granted TTL in seconds, 0 if the lease does not exist (expired or revoked)
   */
  public CompletableFuture<Long> keepAliveOnce(long id) {
    // One request on etcd's keep-alive stream, then half-close: the server answers it and ends.
    return runner
        .call(
            LeaseGrpc.getLeaseKeepAliveMethod(),
            LeaseKeepAliveRequest.newBuilder().setID(id).build(),
            CallKind.READ)
        .thenApply(r -> Math.max(0, r.getTTL()));
  }

  /**
   * A lease's remaining TTL by the leader's clock.
   *
   * @param id the lease
   * @param withKeys whether to list the keys attached to it
   * @return its TTLs (remaining -1 if it does not exist) and keys
   */
  public CompletableFuture<LeaseInfo> timeToLive(long id, boolean withKeys) {
    LeaseTimeToLiveRequest request =
        LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(withKeys).build();
    return runner
        .call(LeaseGrpc.getLeaseTimeToLiveMethod(), request, CallKind.READ)
        .thenApply(
            r ->
                new LeaseInfo(
                    r.getID(),
                    r.getTTL(),
                    r.getGrantedTTL(),
                    r.getKeysList().stream().map(ByteString::toByteArray).toList()));
  }

  /**
   * Every lease that exists.
   *
   * @return their ids
   */
  public CompletableFuture<List<Long>> list() {
    return runner
        .call(
            LeaseGrpc.getLeaseLeasesMethod(),
            LeaseLeasesRequest.getDefaultInstance(),
            CallKind.READ)
        .thenApply(r -> r.getLeasesList().stream().map(LeaseStatus::getID).toList());
  }
}
