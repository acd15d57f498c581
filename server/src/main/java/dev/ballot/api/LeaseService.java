package dev.ballot.api;

import com.google.protobuf.ByteString;
import dev.ballot.cluster.ClientStatus;
import dev.ballot.cluster.KvWrites;
import dev.ballot.cluster.LeaderRouter;
import dev.ballot.cluster.LeaderWork;
import dev.ballot.cluster.Lessor;
import dev.ballot.cluster.LinearizableReads;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.LeaseGrantResponse;
import dev.ballot.etcd.api.LeaseGrpc;
import dev.ballot.etcd.api.LeaseKeepAliveRequest;
import dev.ballot.etcd.api.LeaseKeepAliveResponse;
import dev.ballot.etcd.api.LeaseLeasesRequest;
import dev.ballot.etcd.api.LeaseLeasesResponse;
import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.etcd.api.LeaseRevokeResponse;
import dev.ballot.etcd.api.LeaseStatus;
import dev.ballot.etcd.api.LeaseTimeToLiveRequest;
import dev.ballot.etcd.api.LeaseTimeToLiveResponse;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.Lease;
import dev.ballot.kv.LeaseGrants;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.transport.SerialObserver;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's Lease service. Grant and revoke are writes through the log ({@link KvWrites}; the node
 * that takes the grant chooses its id and raises its TTL, so the log holds the final lease). Keep-
 * alives and remaining TTLs are the leader's ({@link Lessor}): a follower relays them to it ({@link
 * LeaseRelay}), after the leader has applied every committed entry. The list of leases is a
 * linearizable read of the replicated table on this node.
 */
final class LeaseService extends LeaseGrpc.LeaseImplBase {
  private static final Logger log = LoggerFactory.getLogger(LeaseService.class);

  private final KvStore kv;
  private final KvWrites writes;
  private final LeaseGrants grants;
  private final Lessor lessor;
  private final LeaderRouter router;
  private final LinearizableReads reads;
  private final LeaseRelay relay;
  private final Headers headers;
  private final long requestTimeoutMs;
  private final Executor readPool;

  LeaseService(
      KvStore kv,
      KvWrites writes,
      LeaseGrants grants,
      Lessor lessor,
      LeaderRouter router,
      LinearizableReads reads,
      LeaseRelay relay,
      Headers headers,
      long requestTimeoutMs,
      Executor readPool) {
    this.kv = kv;
    this.writes = writes;
    this.grants = grants;
    this.lessor = lessor;
    this.router = router;
    this.reads = reads;
    this.relay = relay;
    this.headers = headers;
    this.requestTimeoutMs = requestTimeoutMs;
    this.readPool = readPool;
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> response) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remainingMs());
    // Choosing a free id reads the store: on a read thread, since this one carries the node's
    // network traffic and must never wait (a follower's store is locked while it installs a
    // snapshot).
    CompletableFuture<LeaseGrantRequest> prepared;
    try {
      prepared = CompletableFuture.supplyAsync(() -> prepare(request), readPool);
    } catch (RejectedExecutionException e) {
      response.onError(EtcdStatus.TOO_MANY_REQUESTS);
      return;
    }
    CompletableFuture<LeaseGrantResponse> granted =
        prepared.thenCompose(
            grant ->
                writes
                    .write(
                        Command.newBuilder().setLeaseGrant(grant).build(),
                        Math.max(
                            1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())))
                    .thenApply(
                        op ->
                            LeaseGrantResponse.newBuilder()
                                .setHeader(
                                    headers.header(op.getResponseRange().getHeader().getRevision()))
                                .setID(grant.getID())
                                .setTTL(grant.getTTL())
                                .build()));
    answer(granted, response, Function.identity());
  }

  private LeaseGrantRequest prepare(LeaseGrantRequest request) {
    try {
      return grants.prepare(request, id -> kv.lease(id) != null);
    } catch (KvException e) {
      throw new CompletionException(e);
    }
  }

  @Override
  public void leaseRevoke(
      LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> response) {
    answer(
        writes.write(Command.newBuilder().setLeaseRevoke(request).build(), remainingMs()),
        response,
        op ->
            LeaseRevokeResponse.newBuilder()
                .setHeader(headers.header(op.getResponseDeleteRange().getHeader().getRevision()))
                .build());
  }

  // ------------------------------------------------------------------ reads

  @Override
  public void leaseLeases(
      LeaseLeasesRequest request, StreamObserver<LeaseLeasesResponse> response) {
    answer(
        reads
            .awaitReadable(remainingMs())
            .thenApplyAsync(
                applied -> {
                  LeaseLeasesResponse.Builder leases =
                      LeaseLeasesResponse.newBuilder().setHeader(headers.header(kv.revision()));
                  for (Lease lease : kv.leases()) {
                    leases.addLeases(LeaseStatus.newBuilder().setID(lease.id()));
                  }
                  return leases.build();
                },
                readPool),
        response,
        Function.identity());
  }

  @Override
  public void leaseTimeToLive(
      LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> response) {
    long timeoutMs = remainingMs();
    CompletableFuture<LeaseTimeToLiveResponse> answer =
        onLeader(
            new LeaderWork<>() {
              @Override
              public CompletableFuture<LeaseTimeToLiveResponse> runHere(long timeoutMs) {
                return afterApplied(timeoutMs, () -> timeToLiveHere(request));
              }

              @Override
              public CompletableFuture<LeaseTimeToLiveResponse> forward(
                  long leaderId, long timeoutMs) {
                return relay.timeToLive(leaderId, request, timeoutMs);
              }
            },
            timeoutMs);
    answer(answer, response, Function.identity());
  }

  private LeaseTimeToLiveResponse timeToLiveHere(LeaseTimeToLiveRequest request) {
    Lessor.Remaining remaining = lessor.remaining(request.getID());
    LeaseTimeToLiveResponse.Builder answer =
        LeaseTimeToLiveResponse.newBuilder()
            .setHeader(headers.header(kv.revision()))
            .setID(request.getID());
    if (remaining == null) {
      return answer.setTTL(-1).build(); // etcd: a lease that does not exist has TTL -1
    }
    answer.setTTL(remaining.remainingSeconds()).setGrantedTTL(remaining.grantedTtlSeconds());
    if (request.getKeys()) {
      for (byte[] key : kv.leaseKeys(request.getID())) {
        answer.addKeys(ByteString.copyFrom(key));
      }
    }
    return answer.build();
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
      StreamObserver<LeaseKeepAliveResponse> responses) {
    SerialObserver<LeaseKeepAliveResponse> out = new SerialObserver<>(responses);
    return new StreamObserver<>() {
      // One request at a time per stream, answered in order, as etcd's loop does.
      private CompletableFuture<Boolean> last = CompletableFuture.completedFuture(true);

      @Override
      public synchronized void onNext(LeaseKeepAliveRequest request) {
        last =
            last.thenCompose(
                open ->
                    open
                        ? keepAlive(request.getID(), out)
                        : CompletableFuture.completedFuture(false));
      }

      @Override
      public void onError(Throwable error) {
        log.debug("keep-alive stream ended by the client error={}", error.toString());
      }

      @Override
      public synchronized void onCompleted() {
        last.thenAccept(
            open -> {
              if (open) {
                out.onCompleted();
              }
            });
      }
    };
  }

  /** Renews one lease and answers; completes with whether the stream is still open. */
  private CompletableFuture<Boolean> keepAlive(
      long id, StreamObserver<LeaseKeepAliveResponse> out) {
    CompletableFuture<LeaseKeepAliveResponse> renewed =
        onLeader(
            new LeaderWork<>() {
              @Override
              public CompletableFuture<LeaseKeepAliveResponse> runHere(long timeoutMs) {
                return afterApplied(
                    timeoutMs,
                    () ->
                        LeaseKeepAliveResponse.newBuilder()
                            .setHeader(headers.header(kv.revision()))
                            .setID(id)
                            .setTTL(lessor.renew(id))
                            .build());
              }

              @Override
              public CompletableFuture<LeaseKeepAliveResponse> forward(
                  long leaderId, long timeoutMs) {
                return relay.keepAlive(leaderId, id, timeoutMs);
              }
            },
            requestTimeoutMs);
    return renewed.handle(
        (response, error) -> {
          try {
            if (error == null) {
              out.onNext(response);
              return true;
            }
            out.onError(ClientStatus.of(error));
          } catch (StatusRuntimeException e) {
            log.debug("keep-alive answer not delivered status={}", e.getStatus()); // client left
          }
          return false;
        });
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Runs {@code work} on the leader: here if this node leads, else relayed to the leader; a call
   * another node relayed is never relayed again (a node that no longer leads refuses it).
   */
  private <T> CompletableFuture<T> onLeader(LeaderWork<T> work, long timeoutMs) {
    if (LeaseRelay.isRelayed()) {
      return lessor.isPrimary()
          ? work.runHere(timeoutMs)
          : CompletableFuture.failedFuture(LeaseRelay.notLeader());
    }
    return router.route(work, timeoutMs);
  }

  /**
   * Runs {@code read} on the read pool once this node, the leader, has applied every committed
   * entry (so every lease granted before is known); fails as "not leader" if it no longer leads.
   */
  private <T> CompletableFuture<T> afterApplied(long timeoutMs, Supplier<T> read) {
    return reads
        .awaitReadable(timeoutMs)
        .thenApplyAsync(
            applied -> {
              try {
                return read.get();
              } catch (IllegalStateException e) {
                throw new NodeException(NodeException.Kind.NOT_LEADER, 0, e.getMessage());
              }
            },
            readPool);
  }

  private static <A, T> void answer(
      CompletableFuture<A> result, StreamObserver<T> response, Function<A, T> toResponse) {
    result.whenComplete(
        (value, error) -> UnaryAnswer.send(response, value, error, toResponse, "lease"));
  }

  /** The time this request may take: the client's deadline, capped by the server's. */
  private long remainingMs() {
    Deadline deadline = Context.current().getDeadline();
    long remaining =
        deadline == null ? requestTimeoutMs : deadline.timeRemaining(TimeUnit.MILLISECONDS);
    return Math.max(1, Math.min(remaining, requestTimeoutMs));
  }
}
