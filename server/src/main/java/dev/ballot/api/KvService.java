package dev.ballot.api;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.CompactionResponse;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * etcd's KV service. Writes go through the Raft log (a follower forwards them to its leader);
 * linearizable reads wait for a ReadIndex to be applied locally; serializable reads are local.
 * Handlers run on gRPC's network threads and never block: they complete from the driver's or the
 * apply thread's callbacks.
 */
final class KvService extends KVGrpc.KVImplBase {
  private final KvStore kv;
  private final KvRequests requests;
  private final RaftDriver<ApplyResult> driver;
  private final Headers headers;
  private final LeaderForwarder forwarder;
  private final long requestTimeoutMs;
  private final long leaderWaitMs;
  private final long retryPauseMs;

  KvService(
      KvStore kv,
      KvRequests requests,
      RaftDriver<ApplyResult> driver,
      Headers headers,
      LeaderForwarder forwarder,
      long requestTimeoutMs,
      long leaderWaitMs,
      long retryPauseMs) {
    this.kv = kv;
    this.requests = requests;
    this.driver = driver;
    this.headers = headers;
    this.forwarder = forwarder;
    this.requestTimeoutMs = requestTimeoutMs;
    this.leaderWaitMs = leaderWaitMs;
    this.retryPauseMs = retryPauseMs;
  }

  // ------------------------------------------------------------------ reads

  @Override
  public void range(RangeRequest request, StreamObserver<RangeResponse> response) {
    try {
      KvRequests.checkRange(request);
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    if (request.getSerializable()) {
      answerRange(request, response);
      return;
    }
    long timeoutMs = remainingMs();
    linearizableIndex(timeoutMs)
        .thenCompose(driver::whenApplied)
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete(
            (applied, error) -> {
              if (error != null) {
                response.onError(toStatus(error));
              } else {
                answerRange(request, response);
              }
            });
  }

  /** A transaction without writes is a read: no log entry, a ReadIndex like a range. */
  private void readOnlyTxn(TxnRequest request, StreamObserver<TxnResponse> response) {
    try {
      requests.checkTxn(request);
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    long timeoutMs = remainingMs();
    linearizableIndex(timeoutMs)
        .thenCompose(driver::whenApplied)
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete(
            (applied, error) -> {
              if (error != null) {
                response.onError(toStatus(error));
                return;
              }
              TxnResponse r;
              try {
                r = kv.readTxn(request);
              } catch (KvException e) {
                response.onError(e.toStatus().asRuntimeException());
                return;
              }
              response.onNext(r.toBuilder().setHeader(header(r.getHeader())).build());
              response.onCompleted();
            });
  }

  /** A read index, waiting for a leader if an election is under way. */
  private CompletableFuture<Long> linearizableIndex(long timeoutMs) {
    return driver
        .readIndex()
        .exceptionallyCompose(
            error -> {
              if (isNoLeader(error)) {
                return afterLeaderKnown(timeoutMs, error, driver::readIndex);
              }
              return CompletableFuture.failedFuture(error);
            });
  }

  private void answerRange(RangeRequest request, StreamObserver<RangeResponse> response) {
    RangeResponse r;
    try {
      r = kv.range(request);
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    response.onNext(r.toBuilder().setHeader(header(r.getHeader())).build());
    response.onCompleted();
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> response) {
    write(
        Command.newBuilder().setPut(request).build(),
        response,
        r ->
            r.getResponsePut().toBuilder()
                .setHeader(header(r.getResponsePut().getHeader()))
                .build(),
        stub -> stub.put(request));
  }

  @Override
  public void deleteRange(
      DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> response) {
    write(
        Command.newBuilder().setDeleteRange(request).build(),
        response,
        r ->
            r.getResponseDeleteRange().toBuilder()
                .setHeader(header(r.getResponseDeleteRange().getHeader()))
                .build(),
        stub -> stub.deleteRange(request));
  }

  @Override
  public void txn(TxnRequest request, StreamObserver<TxnResponse> response) {
    if (KvRequests.isReadOnly(request)) {
      readOnlyTxn(request, response);
      return;
    }
    write(
        Command.newBuilder().setTxn(request).build(),
        response,
        r ->
            r.getResponseTxn().toBuilder()
                .setHeader(header(r.getResponseTxn().getHeader()))
                .build(),
        stub -> stub.txn(request));
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> response) {
    response.onError(
        Status.UNIMPLEMENTED
            .withDescription("compaction arrives with MVCC history; Ballot keeps no history yet")
            .asRuntimeException());
  }

  private <T> void write(
      Command command,
      StreamObserver<T> response,
      Function<dev.ballot.etcd.api.ResponseOp, T> toResponse,
      Function<KVGrpc.KVFutureStub, ListenableFuture<T>> forward) {
    try {
      requests.check(command);
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remainingMs());
    new WriteAttempt<>(
            command.toByteArray(),
            deadlineNanos,
            response,
            toResponse,
            forward,
            LeaderForwarder.isForwarded())
        .run();
  }

  /**
   * One client write: proposed here if this node leads, else forwarded to the leader. It is tried
   * again only when nothing can have been written: no leader yet, or the leader's port refused the
   * connection (it died and an election is due). Any other failure is the client's answer.
   */
  private final class WriteAttempt<T> {
    private final byte[] command;
    private final long deadlineNanos;
    private final StreamObserver<T> response;
    private final Function<dev.ballot.etcd.api.ResponseOp, T> toResponse;
    private final Function<KVGrpc.KVFutureStub, ListenableFuture<T>> forward;
    private final boolean forwardedHere;

    WriteAttempt(
        byte[] command,
        long deadlineNanos,
        StreamObserver<T> response,
        Function<dev.ballot.etcd.api.ResponseOp, T> toResponse,
        Function<KVGrpc.KVFutureStub, ListenableFuture<T>> forward,
        boolean forwardedHere) {
      this.command = command;
      this.deadlineNanos = deadlineNanos;
      this.response = response;
      this.toResponse = toResponse;
      this.forward = forward;
      this.forwardedHere = forwardedHere;
    }

    private long remainingMs() {
      return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    void run() {
      long timeoutMs = remainingMs();
      if (timeoutMs <= 0) {
        response.onError(EtcdStatus.TIMEOUT);
        return;
      }
      proposeWaitingForLeader(command, timeoutMs)
          .whenComplete(
              (result, error) -> {
                if (error == null) {
                  if (result.isOk()) {
                    response.onNext(toResponse.apply(result.response()));
                    response.onCompleted();
                  } else {
                    response.onError(result.error().toStatus().asRuntimeException());
                  }
                } else if (unwrap(error) instanceof NodeException ne
                    && ne.kind() == NodeException.Kind.NOT_LEADER
                    && !forwardedHere) {
                  forwardTo(ne.leaderId());
                } else {
                  response.onError(toStatus(error));
                }
              });
    }

    private void forwardTo(long leaderId) {
      long timeoutMs = remainingMs();
      if (timeoutMs <= 0) {
        response.onError(EtcdStatus.TIMEOUT);
        return;
      }
      Futures.addCallback(
          forward.apply(forwarder.stubFor(leaderId, timeoutMs)),
          new FutureCallback<>() {
            @Override
            public void onSuccess(T value) {
              response.onNext(value);
              response.onCompleted();
            }

            @Override
            public void onFailure(Throwable t) {
              Status s = Status.fromThrowable(t);
              if (neverSent(s)) {
                retryAfterPause();
              } else if (s.getCode() == Status.Code.DEADLINE_EXCEEDED
                  || s.getCode() == Status.Code.CANCELLED
                  || s.getDescription() == null
                  || !s.getDescription().startsWith("etcdserver:")) {
                // The leader may have applied it before the link broke: outcome unknown.
                response.onError(EtcdStatus.TIMEOUT);
              } else {
                response.onError(s.asRuntimeException()); // the leader's own etcd answer
              }
            }
          },
          MoreExecutors.directExecutor());
    }

    private void retryAfterPause() {
      CompletableFuture.delayedExecutor(retryPauseMs, TimeUnit.MILLISECONDS).execute(this::run);
    }
  }

  /** Runs {@code next} once a leader is known; fails with {@code noLeader} if none comes soon. */
  private <V> CompletableFuture<V> afterLeaderKnown(
      long timeoutMs, Throwable noLeader, java.util.function.Supplier<CompletableFuture<V>> next) {
    return driver
        .whenLeaderKnown()
        .orTimeout(Math.min(timeoutMs, leaderWaitMs), TimeUnit.MILLISECONDS)
        .handle((v, timeout) -> timeout)
        .thenCompose(
            timeout -> timeout == null ? next.get() : CompletableFuture.failedFuture(noLeader));
  }

  /** The call failed to connect, so the leader never saw it. */
  private static boolean neverSent(Status s) {
    for (Throwable c = s.getCause(); c != null; c = c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  private CompletableFuture<ApplyResult> proposeWaitingForLeader(byte[] command, long timeoutMs) {
    // orTimeout on the driver's own future: a caller that gives up also releases its slot.
    return driver
        .propose(command)
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            error -> {
              if (isNoLeader(error)) {
                // An election is under way: wait a little for it rather than fail at once.
                return afterLeaderKnown(
                    timeoutMs,
                    error,
                    () -> driver.propose(command).orTimeout(timeoutMs, TimeUnit.MILLISECONDS));
              }
              return CompletableFuture.failedFuture(error);
            });
  }

  // ------------------------------------------------------------------ helpers

  private ResponseHeader header(ResponseHeader fromStore) {
    return headers.header(fromStore.getRevision());
  }

  /** The time this request may take: the client's deadline, capped by the server's. */
  private long remainingMs() {
    Deadline deadline = Context.current().getDeadline();
    long remaining =
        deadline == null ? requestTimeoutMs : deadline.timeRemaining(TimeUnit.MILLISECONDS);
    return Math.max(1, Math.min(remaining, requestTimeoutMs));
  }

  private static boolean isNoLeader(Throwable error) {
    return unwrap(error) instanceof NodeException ne && ne.kind() == NodeException.Kind.NO_LEADER;
  }

  private static Throwable unwrap(Throwable error) {
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  private static StatusRuntimeException toStatus(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof NodeException ne) {
      return EtcdStatus.of(ne);
    }
    if (cause instanceof KvException ke) {
      return ke.toStatus().asRuntimeException();
    }
    if (cause instanceof TimeoutException) {
      return EtcdStatus.TIMEOUT;
    }
    return Status.INTERNAL.withDescription(String.valueOf(cause)).asRuntimeException();
  }
}
