package dev.ballot.client;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.lock.LockGrpc;
import dev.ballot.etcd.lock.LockRequest;
import dev.ballot.etcd.lock.UnlockRequest;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * etcd's locks (the v3lock service), from {@link BallotClient#locks()}. A lock is held under a
 * lease ({@link Leases#grant}): it passes to the next waiter when the holder unlocks, or when its
 * lease is revoked or expires, so a holder must keep its lease alive and must expect to lose the
 * lock when it cannot; {@link LockHold#fencingToken()} lets a resource tell.
 */
public final class Locks {
  private final RequestRunner runner;

  Locks(RequestRunner runner) {
    this.runner = runner;
  }

  /**
   * Waits until the lock NAME is held under {@code leaseId}, at most {@code maxWait}. A wait that
   * ends without the lock (deadline, or the lease gone) leaves no trace of it.
   *
   * @param name the lock's name
   * @param leaseId a live lease; "etcdserver: requested lease not found" if it does not exist
   * @param maxWait how long to wait for the lock
   * @return the held lock, with its fencing token
   */
  public CompletableFuture<LockHold> lock(byte[] name, long leaseId, Duration maxWait) {
    LockRequest request =
        LockRequest.newBuilder().setName(ByteString.copyFrom(name)).setLease(leaseId).build();
    Deadline deadline = Deadline.after(maxWait.toNanos(), TimeUnit.NANOSECONDS);
    return runner
        .call(LockGrpc.getLockMethod(), request, CallKind.WRITE, deadline)
        .thenCompose(
            locked ->
                runner
                    .call(
                        KVGrpc.getRangeMethod(),
                        RangeRequest.newBuilder().setKey(locked.getKey()).build(),
                        CallKind.READ)
                    .thenApply(
                        key -> {
                          if (key.getKvsCount() == 0) {
                            throw new BallotException(
                                "lock lost before its fencing token was read: its key "
                                    + locked.getKey().toStringUtf8()
                                    + " is gone (lease expired or revoked)",
                                Status.Code.ABORTED,
                                null,
                                null,
                                null);
                          }
                          return new LockHold(
                              locked.getKey().toByteArray(),
                              locked.getHeader().getRevision(),
                              key.getKvs(0).getCreateRevision());
                        }));
  }

  /**
   * Releases a lock: deletes its key (nothing if it is gone already).
   *
   * @param key {@link LockHold#key()}
   * @return the store revision after the release
   */
  public CompletableFuture<Long> unlock(byte[] key) {
    return runner
        .call(
            LockGrpc.getUnlockMethod(),
            UnlockRequest.newBuilder().setKey(ByteString.copyFrom(key)).build(),
            CallKind.WRITE)
        .thenApply(unlocked -> unlocked.getHeader().getRevision());
  }
}
