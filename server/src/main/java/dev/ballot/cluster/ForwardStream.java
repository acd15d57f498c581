package dev.ballot.cluster;

import dev.ballot.proto.raft.v1.ForwardAnswers;
import dev.ballot.proto.raft.v1.ForwardBatch;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.transport.SerialObserver;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-lived {@code RaftPeer.ForwardBatches} stream from this node to a leader's peer port,
 * shared by every write forwarded there: a write gets an id and waits among the pending writes
 * until the answer with its id comes back (in any order). Each write goes out at once, alone in its
 * message (holding writes back to send a network thread's writes of one turn together made a single
 * client's put slower: docs/performance.md, item 27); the leader answers many in one. A caller that
 * gives up completes its future, which forgets the write (its outcome is unknown, as with a
 * cancelled unary call). When the stream ends, every write still waiting fails as a unary call
 * would ({@link RouteFailure#ofFailedHop}); a leader that does not know the rpc (UNIMPLEMENTED) did
 * nothing, so those fail as never sent. Callbacks run on the network thread and never block.
 */
final class ForwardStream {
  private static final Logger log = LoggerFactory.getLogger(ForwardStream.class);

  private final String address;
  private final Map<Long, CompletableFuture<ForwardResponse>> pending = new ConcurrentHashMap<>();
  private final AtomicLong lastId = new AtomicLong();
  private final BiConsumer<ForwardStream, Status> onEnd;
  private StreamObserver<ForwardBatch> requests;

  /** How the stream ended; null while it is open. */
  private volatile Status end;

  private ForwardStream(String address, BiConsumer<ForwardStream, Status> onEnd) {
    this.address = address;
    this.onEnd = onEnd;
  }

  /**
   * Opens a stream over {@code channel} to the peer port at {@code address}; {@code onEnd} hears,
   * once, how it ended (maybe before this returns).
   */
  static ForwardStream open(
      Channel channel, String address, BiConsumer<ForwardStream, Status> onEnd) {
    ForwardStream stream = new ForwardStream(address, onEnd);
    // Outside the context of the client call that opens it, which ends (is cancelled) with that
    // call, and would take the stream shared by later writes with it.
    Context.ROOT.run(
        () ->
            stream.requests =
                new SerialObserver<>(
                    RaftPeerGrpc.newStub(channel).forwardBatches(stream.new Answers())));
    return stream;
  }

  String address() {
    return address;
  }

  boolean isOpen() {
    return end == null;
  }

  /** Writes waiting for their answer. */
  int pendingWrites() {
    return pending.size();
  }

  /**
   * Sends {@code request} and completes with the leader's answer; never times out by itself (the
   * caller bounds it and completes the future when it gives up).
   */
  CompletableFuture<ForwardResponse> forward(ForwardRequest request, long timeoutMs) {
    long id = lastId.incrementAndGet();
    CompletableFuture<ForwardResponse> result = new CompletableFuture<>();
    pending.put(id, result);
    // Put before reading the end: an end that this write does not see, fails it below in end().
    Status ended = end;
    if (ended != null) {
      pending.remove(id);
      result.completeExceptionally(
          RouteFailure.neverSent("forward stream to " + address + " ended: " + ended));
      return result;
    }
    result.whenComplete(
        (response, error) -> {
          if (error != null) {
            pending.remove(id); // the caller gave up: a late answer is dropped
          }
        });
    requests.onNext(
        ForwardBatch.newBuilder()
            .addWrites(
                ForwardStreamRequest.newBuilder()
                    .setId(id)
                    .setRequest(request)
                    .setTimeoutMs(Math.max(0, timeoutMs)))
            .build());
    return result;
  }

  private void end(Status status) {
    end = status;
    onEnd.accept(this, status);
    RouteFailure failure =
        status.getCode() == Status.Code.UNIMPLEMENTED
            ? RouteFailure.neverSent("leader " + address + " does not serve ForwardBatches")
            : RouteFailure.ofFailedHop(status);
    int failed = 0;
    for (Long id : pending.keySet()) {
      CompletableFuture<ForwardResponse> write = pending.remove(id);
      if (write != null && write.completeExceptionally(failure)) {
        failed++;
      }
    }
    // A leader that refuses connections (it is down) makes every write's retry end here: DEBUG.
    if (failure.kind() == RouteFailure.Kind.NEVER_SENT) {
      log.debug(
          "forward stream not opened address={} status={} pendingWritesFailed={}",
          address,
          status,
          failed);
    } else {
      log.info(
          "forward stream ended address={} status={} pendingWritesFailed={}",
          address,
          status,
          failed);
    }
  }

  /** The leader's answers; gRPC calls it on the network thread, one call at a time. */
  private final class Answers implements StreamObserver<ForwardAnswers> {
    @Override
    public void onNext(ForwardAnswers answers) {
      for (ForwardStreamResponse answer : answers.getAnswersList()) {
        answer(answer);
      }
    }

    private void answer(ForwardStreamResponse answer) {
      CompletableFuture<ForwardResponse> write = pending.remove(answer.getId());
      if (write == null) {
        log.debug("late forward answer dropped address={} id={}", address, answer.getId());
      } else if (answer.getErrorCode() != 0) {
        write.completeExceptionally(
            RouteFailure.ofFailedHop(
                Status.fromCodeValue(answer.getErrorCode())
                    .withDescription(answer.getErrorMessage())));
      } else {
        write.complete(answer.getResponse());
      }
    }

    @Override
    public void onError(Throwable error) {
      end(Status.fromThrowable(error));
    }

    @Override
    public void onCompleted() {
      end(Status.UNAVAILABLE.withDescription("the leader ended the forward stream"));
    }
  }
}
