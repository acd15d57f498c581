package dev.ballot.api;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.InvalidProtocolBufferException;
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
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.CommandCodec;
import dev.ballot.kv.KvError;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ForwardResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's KV service. Writes go through the Raft log (a follower forwards them to its leader);
 * linearizable reads wait for a ReadIndex to be applied locally; serializable reads are local.
 * Handlers run on gRPC's network threads and never block: they complete from the driver's or the
 * apply thread's callbacks.
 */
final class KvService extends KVGrpc.KVImplBase {
  private static final Logger log = LoggerFactory.getLogger(KvService.class);
  private final KvStore kv;
  private final KvRequests requests;
  private final RaftDriver<ApplyResult> driver;
  private final Headers headers;
  private final LeaderForwarder forwarder;
  private final long requestTimeoutMs;
  private final long leaderWaitMs;
  private final long retryPauseMs;
  private final Executor readPool;
  private final ScheduledExecutorService retryTimer;
  private final SpaceQuota quota;

  KvService(
      KvStore kv,
      KvRequests requests,
      RaftDriver<ApplyResult> driver,
      Headers headers,
      LeaderForwarder forwarder,
      long requestTimeoutMs,
      long leaderWaitMs,
      long retryPauseMs,
      Executor readPool,
      ScheduledExecutorService retryTimer,
      SpaceQuota quota) {
    this.kv = kv;
    this.requests = requests;
    this.driver = driver;
    this.headers = headers;
    this.forwarder = forwarder;
    this.requestTimeoutMs = requestTimeoutMs;
    this.leaderWaitMs = leaderWaitMs;
    this.retryPauseMs = retryPauseMs;
    this.readPool = readPool;
    this.retryTimer = retryTimer;
    this.quota = quota;
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
    read(
        request.getSerializable(),
        response,
        () -> {
          RangeResponse r = kv.range(request);
          return r.toBuilder().setHeader(header(r.getHeader())).build();
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
    read(
        false,
        response,
        () -> {
          TxnResponse r = kv.readTxn(request);
          return r.toBuilder().setHeader(header(r.getHeader())).build();
        });
  }

  /**
   * Runs {@code read} on the read pool: at once if serializable, else once a ReadIndex confirmed by
   * the leader is applied here. Never on the driver, apply or network threads.
   */
  private <T> void read(
      boolean serializable, StreamObserver<T> response, PooledRead.StoreRead<T> read) {
    if (serializable) {
      onReadPool(response, read);
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
                onReadPool(response, read);
              }
            });
  }

  private <T> void onReadPool(StreamObserver<T> response, PooledRead.StoreRead<T> read) {
    PooledRead.answer(readPool, response, "read", read);
  }

  /** A read index, waiting for a leader if an election is under way. */
  private CompletableFuture<Long> linearizableIndex(long timeoutMs) {
    // orTimeout on the driver's own futures, so that it forgets reads nobody waits for.
    return driver
        .readIndex()
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .exceptionallyCompose(
            error -> {
              if (isNoLeader(error)) {
                return afterLeaderKnown(
                    timeoutMs,
                    error,
                    () -> driver.readIndex().orTimeout(timeoutMs, TimeUnit.MILLISECONDS));
              }
              return CompletableFuture.failedFuture(error);
            });
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
                .build());
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
                .build());
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
                .build());
  }

  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> response) {
    response.onError(
        Status.UNIMPLEMENTED
            .withDescription("compaction arrives with MVCC history; Ballot keeps no history yet")
            .asRuntimeException());
  }

  /** Proposes {@code command} (here or through the leader) and answers with its result. */
  <T> void write(Command command, StreamObserver<T> response, Function<ResponseOp, T> toResponse) {
    byte[] logBytes;
    try {
      logBytes = requests.logBytes(command);
      checkSpace(command);
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(remainingMs());
    new WriteAttempt<>(logBytes, deadlineNanos, response, toResponse).run();
  }

  /**
   * A write a follower forwarded to this node as its leader: proposed here, never forwarded again
   * (leadership may have moved on; the follower's client then gets "not leader").
   */
  void acceptForwarded(byte[] commandBytes, StreamObserver<ForwardResponse> response) {
    try {
      // The same checks, on the same bytes, as a write made here: the same answer either way.
      requests.checkLogBytes(commandBytes);
      if (quota.full()) {
        checkSpace(CommandCodec.decode(commandBytes));
      }
    } catch (KvException e) {
      response.onError(e.toStatus().asRuntimeException());
      return;
    }
    long timeoutMs = remainingMs();
    proposeWaitingForLeader(commandBytes, timeoutMs)
        .whenComplete(
            (result, error) -> {
              try {
                if (error != null) {
                  response.onError(toStatus(error));
                } else if (!result.isOk()) {
                  response.onError(result.error().toStatus().asRuntimeException());
                } else {
                  response.onNext(
                      ForwardResponse.newBuilder()
                          .setResponseOp(result.response().toByteString())
                          .build());
                  response.onCompleted();
                }
              } catch (StatusRuntimeException e) {
                log.debug("forwarded answer not delivered status={}", e.getStatus());
              }
            });
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
    private final Function<ResponseOp, T> toResponse;

    WriteAttempt(
        byte[] command,
        long deadlineNanos,
        StreamObserver<T> response,
        Function<ResponseOp, T> toResponse) {
      this.command = command;
      this.deadlineNanos = deadlineNanos;
      this.response = response;
      this.toResponse = toResponse;
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
                    answer(result.response());
                  } else {
                    fail(result.error().toStatus().asRuntimeException());
                  }
                } else if (unwrap(error) instanceof NodeException ne
                    && ne.kind() == NodeException.Kind.NOT_LEADER) {
                  forwardTo(ne.leaderId());
                } else {
                  fail(toStatus(error));
                }
              });
    }

    private void answer(ResponseOp op) {
      try {
        response.onNext(toResponse.apply(op));
        response.onCompleted();
      } catch (StatusRuntimeException e) {
        log.debug("write answer not delivered status={}", e.getStatus()); // client went away
      }
    }

    private void fail(StatusRuntimeException status) {
      try {
        response.onError(status);
      } catch (StatusRuntimeException e) {
        log.debug("write error not delivered status={}", e.getStatus());
      }
    }

    private void forwardTo(long leaderId) {
      long timeoutMs = remainingMs();
      if (timeoutMs <= 0) {
        fail(EtcdStatus.TIMEOUT);
        return;
      }
      Futures.addCallback(
          forwarder.forward(leaderId, command, timeoutMs),
          new FutureCallback<>() {
            @Override
            public void onSuccess(ForwardResponse value) {
              ResponseOp op;
              try {
                op = ResponseOp.parseFrom(value.getResponseOp());
              } catch (InvalidProtocolBufferException e) {
                log.error("leader sent an unreadable answer leader={}", leaderId, e);
                fail(EtcdStatus.INTERNAL);
                return;
              }
              answer(op);
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
                fail(EtcdStatus.TIMEOUT);
              } else {
                fail(s.asRuntimeException()); // the leader's own etcd answer
              }
            }
          },
          MoreExecutors.directExecutor());
    }

    private void retryAfterPause() {
      try {
        retryTimer.schedule(this::run, retryPauseMs, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        fail(EtcdStatus.STOPPED); // shutting down; the leader never saw this write
      }
    }
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

  // ------------------------------------------------------------------ helpers

  private void checkSpace(Command command) throws KvException {
    if (quota.refuses(command)) {
      throw new KvException(KvError.NO_SPACE);
    }
  }

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
    log.error("request failed", cause);
    return EtcdStatus.INTERNAL;
  }
}
