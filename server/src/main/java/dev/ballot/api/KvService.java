package dev.ballot.api;

import dev.ballot.cluster.ClientStatus;
import dev.ballot.cluster.KvWrites;
import dev.ballot.cluster.LinearizableReads;
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
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.transport.CallLoop;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's KV service, the gRPC edge of {@link KvWrites} (writes through the Raft log; a follower's
 * go to its leader) and {@link LinearizableReads} (a ReadIndex applied here); serializable reads
 * are local. Handlers run on gRPC's network threads and never block: they complete from callbacks
 * (the apply loop, the route's timer, the peer link), answer on the network thread the call came in
 * on ({@link CallLoop}), and read the store there (one key) or on the read pool.
 */
final class KvService extends KVGrpc.KVImplBase {
  private static final Logger log = LoggerFactory.getLogger(KvService.class);
  private final KvStore kv;
  private final KvRequests requests;
  private final Headers headers;
  private final KvWrites writes;
  private final LinearizableReads reads;
  private final long requestTimeoutMs;
  private final Executor readPool;

  KvService(
      KvStore kv,
      KvRequests requests,
      Headers headers,
      KvWrites writes,
      LinearizableReads reads,
      long requestTimeoutMs,
      Executor readPool) {
    this.kv = kv;
    this.requests = requests;
    this.headers = headers;
    this.writes = writes;
    this.reads = reads;
    this.requestTimeoutMs = requestTimeoutMs;
    this.readPool = readPool;
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
        request.getRangeEnd().isEmpty(),
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
        false,
        response,
        () -> {
          TxnResponse r = kv.readTxn(request);
          return r.toBuilder().setHeader(header(r.getHeader())).build();
        });
  }

  /**
   * Runs {@code read}: at once if serializable, else once a ReadIndex confirmed by the leader is
   * applied here. Never on the driver or apply threads: a read of one key ({@code oneKey}) runs on
   * the network thread that received it (at once if serializable), where a hop to the read pool
   * would cost more than the read; others run on the read pool.
   */
  private <T> void read(
      boolean serializable,
      boolean oneKey,
      StreamObserver<T> response,
      PooledRead.StoreRead<T> read) {
    if (serializable && oneKey) {
      PooledRead.answerHere(response, "read", read);
      return;
    }
    if (serializable) {
      onReadPool(response, read);
      return;
    }
    // One key is read on the network thread it came from, with the other reads of its round.
    Executor loop = oneKey ? CallLoop.current() : null;
    reads
        .awaitReadable(remainingMs())
        .whenComplete(
            (applied, error) -> {
              if (error != null) {
                CallLoop.answerOn(loop, () -> response.onError(ClientStatus.of(error)));
              } else if (loop != null) {
                CallLoop.answerOn(loop, () -> PooledRead.answerHere(response, "read", read));
              } else {
                onReadPool(response, read);
              }
            });
  }

  private <T> void onReadPool(StreamObserver<T> response, PooledRead.StoreRead<T> read) {
    PooledRead.answer(readPool, response, "read", read);
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

  /**
   * Drops the history before {@code request.revision} on every node, through the log. Answers once
   * applied here, so {@code physical} holds either way: the history goes as the entry applies.
   */
  @Override
  public void compact(CompactionRequest request, StreamObserver<CompactionResponse> response) {
    write(
        Command.newBuilder().setCompaction(request).build(),
        response,
        r -> CompactionResponse.newBuilder().setHeader(headers.header(kv.revision())).build());
  }

  /** Proposes {@code command} (here or through the leader) and answers with its result. */
  <T> void write(Command command, StreamObserver<T> response, Function<ResponseOp, T> toResponse) {
    Executor loop = CallLoop.current();
    writes
        .write(command, remainingMs())
        .whenComplete(
            (op, error) ->
                CallLoop.answerOn(
                    loop, () -> UnaryAnswer.send(response, op, error, toResponse, "write")));
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
}
