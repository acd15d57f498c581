package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import dev.ballot.proto.raft.v1.LeaderRefusal;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The leader's end of a follower's forward stream over real gRPC: every write answered under its
 * own id whenever and from whichever thread it completes, a bound on waiting writes, and how the
 * stream ends.
 */
class ForwardStreamHandlerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Writes the handler passed on, by command, with their timeout; the test completes them. */
  private final Map<String, CompletableFuture<ForwardResponse>> writes = new ConcurrentHashMap<>();

  private final Map<String, Long> timeoutsMs = new ConcurrentHashMap<>();
  private final List<ForwardStreamResponse> answers = new CopyOnWriteArrayList<>();

  /** The thread each write arrived on, and the threads the leader answered on. */
  private final Map<String, Thread> receivedOn = new ConcurrentHashMap<>();

  private final List<Thread> answeredOn = new CopyOnWriteArrayList<>();
  private final AtomicReference<Status> end = new AtomicReference<>();
  private Server server;
  private ManagedChannel channel;
  private StreamObserver<ForwardStreamRequest> requests;

  @BeforeEach
  void start() throws IOException {
    ForwardStreamHandler.OneWrite write =
        (request, timeoutMs) -> {
          String command = request.getCommand().toStringUtf8();
          if (command.startsWith("throw")) {
            throw new IllegalArgumentException("cannot read " + command);
          }
          if (request.getClusterId() != 7) {
            return CompletableFuture.failedFuture(
                Status.FAILED_PRECONDITION.withDescription("cluster id mismatch").asException());
          }
          timeoutsMs.put(command, timeoutMs);
          receivedOn.put(command, Thread.currentThread());
          CompletableFuture<ForwardResponse> result = new CompletableFuture<>();
          writes.put(command, result);
          return result;
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(
                new RaftPeerGrpc.RaftPeerImplBase() {
                  @Override
                  public StreamObserver<ForwardStreamRequest> forwardStream(
                      StreamObserver<ForwardStreamResponse> response) {
                    return new ForwardStreamHandler(write, recordingThreads(response));
                  }
                })
            .build()
            .start();
    channel = new PeerChannels().shortLived("127.0.0.1:" + server.getPort());
    requests =
        RaftPeerGrpc.newStub(channel)
            .forwardStream(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ForwardStreamResponse answer) {
                    answers.add(answer);
                  }

                  @Override
                  public void onError(Throwable t) {
                    end.set(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    end.set(Status.OK);
                  }
                });
  }

  private StreamObserver<ForwardStreamResponse> recordingThreads(
      StreamObserver<ForwardStreamResponse> response) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ForwardStreamResponse answer) {
        answeredOn.add(Thread.currentThread());
        response.onNext(answer);
      }

      @Override
      public void onError(Throwable t) {
        response.onError(t);
      }

      @Override
      public void onCompleted() {
        response.onCompleted();
      }
    };
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination();
  }

  private void send(long id, String command, long clusterId) {
    requests.onNext(
        ForwardStreamRequest.newBuilder()
            .setId(id)
            .setTimeoutMs(1_000 + id)
            .setRequest(
                ForwardRequest.newBuilder()
                    .setClusterId(clusterId)
                    .setCommand(ByteString.copyFromUtf8(command)))
            .build());
  }

  private static ForwardResponse result(String op) {
    return ForwardResponse.newBuilder().setResponseOp(ByteString.copyFromUtf8(op)).build();
  }

  private ForwardStreamResponse answerTo(long id) {
    return answers.stream().filter(a -> a.getId() == id).findFirst().orElseThrow();
  }

  @Test
  void writesCompletedOutOfOrderOnOtherThreadsAreAnsweredUnderTheirOwnIds() throws Exception {
    int count = 300;
    for (int i = 1; i <= count; i++) {
      send(i, "w" + i, 7);
    }
    await().atMost(WAIT).until(() -> writes.size() == count);

    List<Thread> completers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int first = t;
      Thread completer =
          new Thread(
              () -> {
                for (int i = count - first; i >= 1; i -= 4) {
                  writes.get("w" + i).complete(result("r" + i));
                }
              },
              "completer-" + t);
      completer.start();
      completers.add(completer);
    }
    for (Thread c : completers) {
      c.join();
    }

    await().atMost(WAIT).until(() -> answers.size() == count);
    for (int i = 1; i <= count; i++) {
      assertThat(answerTo(i).getResponse().getResponseOp().toStringUtf8()).isEqualTo("r" + i);
      assertThat(timeoutsMs.get("w" + i)).isEqualTo(1_000L + i);
    }
    assertThat(end.get()).isNull();
  }

  @Test
  void aWriteCompletedOnAnotherThreadIsAnsweredOnTheStreamsNetworkThread() throws Exception {
    send(1, "a", 7);
    await().atMost(WAIT).until(() -> writes.containsKey("a"));

    writes.get("a").complete(result("r")); // on the test's thread, as the apply thread would

    await().atMost(WAIT).until(() -> answers.size() == 1);
    assertThat(answeredOn).containsExactly(receivedOn.get("a"));
    assertThat(receivedOn.get("a")).isNotSameAs(Thread.currentThread());
  }

  @Test
  void aWriteBeyondTheBoundIsRefusedAsTooManyRequestsAndNothingIsDone() {
    int bound = ForwardStreamHandler.MAX_OUTSTANDING;
    for (int i = 1; i <= bound + 1; i++) {
      send(i, "w" + i, 7);
    }
    await().atMost(WAIT).until(() -> answers.size() == 1);

    assertThat(answers.get(0).getId()).isEqualTo(bound + 1);
    LeaderRefusal refusal = answers.get(0).getResponse().getRefusal();
    assertThat(refusal.getKind()).isEqualTo(LeaderRefusal.Kind.REFUSED);
    assertThat(refusal.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
    assertThat(refusal.getMessage()).isEqualTo("etcdserver: too many requests");
    assertThat(writes).hasSize(bound).doesNotContainKey("w" + (bound + 1));

    // One answered (on the stream's network thread, so wait for its answer) makes room for one.
    writes.get("w1").complete(result("r1"));
    await().atMost(WAIT).until(() -> answers.size() == 2);
    send(bound + 2, "w" + (bound + 2), 7);
    await().atMost(WAIT).until(() -> writes.containsKey("w" + (bound + 2)));
    assertThat(answers).hasSize(2);
  }

  @Test
  void aWriteThatFailsGetsItsOwnErrorStatusAndTheStreamGoesOn() {
    send(1, "throw-1", 7);
    send(2, "w2", 7);
    await().atMost(WAIT).until(() -> answers.size() == 1 && writes.containsKey("w2"));
    writes.get("w2").complete(result("r2"));
    await().atMost(WAIT).until(() -> answers.size() == 2);

    assertThat(answerTo(1).getErrorCode()).isEqualTo(Status.Code.UNKNOWN.value());
    assertThat(answerTo(1).hasResponse()).isFalse();
    assertThat(answerTo(2).getResponse().getResponseOp().toStringUtf8()).isEqualTo("r2");
    assertThat(end.get()).isNull();
  }

  @Test
  void aWriteOfAnotherClusterEndsTheStreamWithFailedPrecondition() {
    send(1, "w1", 7);
    send(2, "w2", 8);
    await().atMost(WAIT).until(() -> end.get() != null);

    assertThat(end.get().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(end.get().getDescription()).contains("cluster id mismatch");
  }

  @Test
  void aFollowerThatStopsSendingGetsEveryAnswerThenTheEnd() {
    send(1, "w1", 7);
    send(2, "w2", 7);
    await().atMost(WAIT).until(() -> writes.size() == 2);
    requests.onCompleted();
    writes.get("w2").complete(result("r2"));
    await().atMost(WAIT).until(() -> answers.size() == 1);
    assertThat(end.get()).isNull();

    writes.get("w1").complete(result("r1"));

    await().atMost(WAIT).until(() -> end.get() != null);
    assertThat(end.get()).isEqualTo(Status.OK);
    assertThat(answers).extracting(ForwardStreamResponse::getId).containsExactly(2L, 1L);
  }
}
