package dev.ballot.cluster;

import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.ForwardAnswers;
import dev.ballot.proto.raft.v1.ForwardBatch;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A leader's peer port on a free local port that answers forwarded writes only when the test says
 * so, in the order it picks; or, built as an older node, one that serves only the unary Forward.
 */
final class ScriptedLeader implements AutoCloseable {
  /** A write the leader got over a stream, and the stream to answer it on. */
  record Received(ForwardStreamRequest request, StreamObserver<ForwardAnswers> stream) {
    /** Answers with the write's own command as its result, so a caller can tell whose it got. */
    void answerWithItsCommand() {
      answerAll(List.of(this));
    }
  }

  /** Answers {@code writes} of one stream in one message, each with its own command. */
  static void answerAll(List<Received> writes) {
    ForwardAnswers.Builder answers = ForwardAnswers.newBuilder();
    for (Received r : writes) {
      answers.addAnswers(
          ForwardStreamResponse.newBuilder()
              .setId(r.request().getId())
              .setResponse(echo(r.request().getRequest())));
    }
    StreamObserver<ForwardAnswers> stream = writes.get(0).stream();
    synchronized (stream) {
      stream.onNext(answers.build());
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();

  /** How many writes each message of the streams carried, in the order they came. */
  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

  final List<StreamObserver<ForwardAnswers>> streams = new CopyOnWriteArrayList<>();
  final AtomicInteger streamCalls = new AtomicInteger();
  final AtomicInteger unaryCalls = new AtomicInteger();
  private final boolean servesStream;
  private final Server server;

  private ScriptedLeader(boolean servesStream) throws IOException {
    this.servesStream = servesStream;
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(new Service())
            .build()
            .start();
  }

  /** A leader that serves ForwardBatches. */
  static ScriptedLeader current() throws IOException {
    return new ScriptedLeader(true);
  }

  /** A node of a version before ForwardBatches: answers it UNIMPLEMENTED, echoes unary calls. */
  static ScriptedLeader older() throws IOException {
    return new ScriptedLeader(false);
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  static ForwardResponse echo(ForwardRequest request) {
    return ForwardResponse.newBuilder().setResponseOp(request.getCommand()).build();
  }

  static ForwardRequest write(String command) {
    return ForwardRequest.newBuilder()
        .setClusterId(7)
        .setCommand(ByteString.copyFromUtf8(command))
        .build();
  }

  /** Ends every open stream with {@code status}, as a leader that fails them would. */
  void breakStreams(Status status) {
    for (StreamObserver<ForwardAnswers> stream : streams) {
      synchronized (stream) {
        stream.onError(status.asRuntimeException());
      }
    }
    streams.clear();
  }

  /** Stops at once, dropping its connections (the process died). */
  void kill() {
    server.shutdownNow();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination();
  }

  private final class Service extends RaftPeerGrpc.RaftPeerImplBase {
    @Override
    public void forward(ForwardRequest request, StreamObserver<ForwardResponse> response) {
      unaryCalls.incrementAndGet();
      response.onNext(echo(request));
      response.onCompleted();
    }

    @Override
    public StreamObserver<ForwardBatch> forwardBatches(StreamObserver<ForwardAnswers> response) {
      streamCalls.incrementAndGet();
      if (!servesStream) {
        return super.forwardBatches(response); // UNIMPLEMENTED, as an older node answers
      }
      streams.add(response);
      return new StreamObserver<>() {
        @Override
        public void onNext(ForwardBatch batch) {
          batchSizes.add(batch.getWritesCount());
          for (ForwardStreamRequest request : batch.getWritesList()) {
            received.add(new Received(request, response));
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
  }
}
