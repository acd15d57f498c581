package dev.ballot.transport;

import dev.ballot.proto.raft.v1.ForwardAnswers;
import dev.ballot.proto.raft.v1.ForwardBatch;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import dev.ballot.proto.raft.v1.LeaderRefusal;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's end of one follower's {@code RaftPeer.ForwardStream} or {@code ForwardBatches}: each
 * write is handled as the unary {@code Forward} handles it and answered under its id; answers that
 * are ready together go out together, on the stream's network thread ({@link Outbox}), in one
 * {@code ForwardAnswers} message on {@code ForwardBatches}. At most {@link #MAX_OUTSTANDING} writes
 * of one stream wait at a time; a write beyond is refused at once with etcd's "too many requests"
 * (nothing done). A write of another cluster ends the stream with the unary call's
 * FAILED_PRECONDITION.
 */
final class ForwardStreamHandler implements StreamObserver<ForwardStreamRequest> {
  private static final Logger log = LoggerFactory.getLogger(ForwardStreamHandler.class);

  /** Writes of one stream waiting for their answer, at most. */
  static final int MAX_OUTSTANDING = 16_384;

  /**
   * The answers of one {@code ForwardAnswers} message come to this many bytes at most (one larger
   * answer goes alone): well below what a peer accepts in a message, {@link
   * PeerTransport#MAX_PEER_MESSAGE_BYTES}, which a few answers with large previous values or ranges
   * could otherwise pass together.
   */
  static final int MAX_ANSWERS_BYTES = 4 * 1024 * 1024;

  /**
   * etcd's ErrTooManyRequests (the client API's {@code EtcdStatus.TOO_MANY_REQUESTS}, which this
   * package cannot import).
   */
  static final LeaderRefusal TOO_MANY_REQUESTS =
      LeaderRefusal.newBuilder()
          .setKind(LeaderRefusal.Kind.REFUSED)
          .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
          .setMessage("etcdserver: too many requests")
          .build();

  /** One write as the unary call carries it out; fails with the status that call would end with. */
  @FunctionalInterface
  interface OneWrite {
    CompletableFuture<ForwardResponse> forward(ForwardRequest request, long timeoutMs);
  }

  private final OneWrite write;

  /** Where answers end up, and how the stream ends (any thread may call it). */
  private final SerialObserver<?> stream;

  private final Outbox<ForwardStreamResponse> answers;
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean followerDone;
  private volatile boolean ended;

  /** The network thread the follower's writes arrive on; answers are sent there. */
  private volatile Executor loop;

  /** The handler of a {@code ForwardStream}: one message per answer. */
  ForwardStreamHandler(OneWrite write, StreamObserver<ForwardStreamResponse> answers) {
    SerialObserver<ForwardStreamResponse> stream = new SerialObserver<>(answers);
    this.write = write;
    this.stream = stream;
    this.answers = new Outbox<>(batch -> batch.forEach(stream::onNext));
  }

  private ForwardStreamHandler(OneWrite write, SerialObserver<ForwardAnswers> stream) {
    this.write = write;
    this.stream = stream;
    this.answers = new Outbox<>(batch -> sendInMessages(batch, stream));
  }

  /**
   * Sends {@code answers} in as few messages as the bound on a message's answers allows; an answer
   * larger than the bound goes alone, as on {@code ForwardStream}.
   */
  static void sendInMessages(
      List<ForwardStreamResponse> answers, StreamObserver<ForwardAnswers> stream) {
    ForwardAnswers.Builder message = ForwardAnswers.newBuilder();
    long bytes = 0;
    for (ForwardStreamResponse answer : answers) {
      int size = answer.getSerializedSize();
      if (message.getAnswersCount() > 0 && bytes + size > MAX_ANSWERS_BYTES) {
        stream.onNext(message.build());
        message = ForwardAnswers.newBuilder();
        bytes = 0;
      }
      message.addAnswers(answer);
      bytes += size;
    }
    stream.onNext(message.build());
  }

  /**
   * The handler of a {@code ForwardBatches}: a message of the follower may carry many writes (a
   * follower of this version sends one per message); the answers go many to a message.
   */
  static StreamObserver<ForwardBatch> batches(
      OneWrite write, StreamObserver<ForwardAnswers> answers) {
    ForwardStreamHandler handler = new ForwardStreamHandler(write, new SerialObserver<>(answers));
    return new StreamObserver<>() {
      @Override
      public void onNext(ForwardBatch batch) {
        for (ForwardStreamRequest request : batch.getWritesList()) {
          handler.onNext(request);
        }
      }

      @Override
      public void onError(Throwable error) {
        handler.onError(error);
      }

      @Override
      public void onCompleted() {
        handler.onCompleted();
      }
    };
  }

  @Override
  public void onNext(ForwardStreamRequest request) {
    if (ended) {
      return;
    }
    long id = request.getId();
    if (outstanding.incrementAndGet() > MAX_OUTSTANDING) {
      outstanding.decrementAndGet();
      answer(id, ForwardResponse.newBuilder().setRefusal(TOO_MANY_REQUESTS).build());
      return;
    }
    if (loop == null) {
      loop = CallLoop.current();
    }
    CompletableFuture<ForwardResponse> result;
    try {
      result = write.forward(request.getRequest(), request.getTimeoutMs());
    } catch (RuntimeException e) {
      log.warn("forwarded write failed id={}", id, e);
      result = CompletableFuture.failedFuture(e);
    }
    // Sent on this stream's network thread, with the other answers of the same applied batch.
    result.whenComplete((response, error) -> done(id, response, error));
  }

  private void done(long id, ForwardResponse response, Throwable error) {
    if (error == null) {
      answer(id, response);
    } else {
      Status status = Status.fromThrowable(Failures.cause(error));
      if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
        ended = true; // e.g. another cluster: nothing on this stream can succeed
        answers.send();
        stream.onError(status.asRuntimeException());
      } else {
        answers.add(
            ForwardStreamResponse.newBuilder()
                .setId(id)
                .setErrorCode(status.getCode().value())
                .setErrorMessage(status.getDescription() == null ? "" : status.getDescription())
                .build(),
            loop);
      }
    }
    // Queued before counted down, so that the end of the stream never overtakes an answer.
    if (outstanding.decrementAndGet() == 0 && followerDone) {
      complete();
    }
  }

  private void answer(long id, ForwardResponse response) {
    answers.add(ForwardStreamResponse.newBuilder().setId(id).setResponse(response).build(), loop);
  }

  /** Ends the stream after every answer queued so far. */
  private void complete() {
    answers.send();
    stream.onCompleted();
  }

  @Override
  public void onError(Throwable error) {
    ended = true; // the follower left: answers still due are dropped
    log.debug("forward stream closed by follower status={}", Status.fromThrowable(error));
  }

  /** The follower sends no more: the stream ends once every write it sent is answered. */
  @Override
  public void onCompleted() {
    followerDone = true;
    if (outstanding.get() == 0) {
      complete();
    }
  }
}
