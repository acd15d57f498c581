package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.ForwardAnswers;
import dev.ballot.proto.raft.v1.ForwardBatch;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoop;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The leader's end of {@code ForwardBatches}: the writes of one message each carried out, and the
 * answers that are ready while the stream's network thread is busy sent in one message there.
 */
class ForwardBatchesTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** The stream's network thread. */
  private final DefaultEventLoop network = new DefaultEventLoop();

  private final Map<String, CompletableFuture<ForwardResponse>> writes = new ConcurrentHashMap<>();
  private final List<ForwardAnswers> sent = new CopyOnWriteArrayList<>();
  private final List<Thread> sentOn = new CopyOnWriteArrayList<>();
  private final AtomicBoolean completed = new AtomicBoolean();
  private final AtomicReference<Status> failed = new AtomicReference<>();
  private final StreamObserver<ForwardBatch> handler =
      ForwardStreamHandler.batches(
          (request, timeoutMs) -> {
            CompletableFuture<ForwardResponse> result = new CompletableFuture<>();
            writes.put(request.getCommand().toStringUtf8(), result);
            return result;
          },
          new StreamObserver<>() {
            @Override
            public void onNext(ForwardAnswers answers) {
              sent.add(answers);
              sentOn.add(Thread.currentThread());
            }

            @Override
            public void onError(Throwable t) {
              failed.set(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              completed.set(true);
            }
          });

  @AfterEach
  void stop() {
    network.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private static ForwardBatch batch(String... commands) {
    ForwardBatch.Builder batch = ForwardBatch.newBuilder();
    long id = 0;
    for (String command : commands) {
      batch.addWrites(
          ForwardStreamRequest.newBuilder()
              .setId(++id)
              .setRequest(
                  ForwardRequest.newBuilder()
                      .setClusterId(7)
                      .setCommand(ByteString.copyFromUtf8(command))));
    }
    return batch.build();
  }

  private static ForwardResponse result(String op) {
    return ForwardResponse.newBuilder().setResponseOp(ByteString.copyFromUtf8(op)).build();
  }

  private void onNetwork(Runnable task) throws Exception {
    network.submit(task).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Keeps the network thread busy until the returned latch is counted down. */
  private CountDownLatch holdNetwork() {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    network.execute(
        () -> {
          held.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    try {
      assertThat(held.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    return release;
  }

  @Test
  void answersReadyWhileTheNetworkThreadIsBusyGoOutInOneMessageOnIt() throws Exception {
    onNetwork(() -> handler.onNext(batch("a", "b", "c")));
    assertThat(writes).containsOnlyKeys("a", "b", "c");

    CountDownLatch release = holdNetwork();
    // Completed on this thread, as the apply thread completes an applied batch's writes.
    writes.get("c").complete(result("rc"));
    writes.get("a").complete(result("ra"));
    writes.get("b").complete(result("rb"));
    assertThat(sent).isEmpty();
    release.countDown();

    await().atMost(WAIT).until(() -> sent.size() == 1);
    onNetwork(() -> {}); // nothing more is due
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getAnswersList())
        .extracting(a -> a.getId() + "=" + a.getResponse().getResponseOp().toStringUtf8())
        .containsExactly("3=rc", "1=ra", "2=rb");
    Thread[] networkThread = new Thread[1];
    onNetwork(() -> networkThread[0] = Thread.currentThread());
    assertThat(sentOn).containsOnly(networkThread[0]);
  }

  @Test
  void anAnswerAfterASendGoesInTheNextMessage() throws Exception {
    onNetwork(() -> handler.onNext(batch("a", "b")));
    writes.get("a").complete(result("ra"));
    await().atMost(WAIT).until(() -> sent.size() == 1);

    writes.get("b").complete(result("rb"));

    await().atMost(WAIT).until(() -> sent.size() == 2);
    assertThat(sent)
        .extracting(m -> m.getAnswersList().stream().map(ForwardStreamResponse::getId).toList())
        .containsExactly(List.of(1L), List.of(2L));
  }

  @Test
  void theStreamEndsOnlyAfterTheAnswersQueuedBeforeTheLastOne() throws Exception {
    onNetwork(() -> handler.onNext(batch("a", "b")));
    onNetwork(handler::onCompleted); // the follower sends no more
    CountDownLatch release = holdNetwork();

    writes.get("a").complete(result("ra")); // queued for the busy network thread
    writes.get("b").complete(result("rb")); // the last: sends what is queued, then ends

    assertThat(completed).isTrue();
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getAnswersList())
        .extracting(ForwardStreamResponse::getId)
        .contains(1L, 2L);
    release.countDown();
    onNetwork(() -> {});
    assertThat(sent).hasSize(1);
  }

  @Test
  void answersLargerTogetherThanTheBoundGoInSeveralMessages() throws Exception {
    onNetwork(() -> handler.onNext(batch("a", "b", "c", "d")));
    int third = ForwardStreamHandler.MAX_ANSWERS_BYTES / 3;
    CountDownLatch release = holdNetwork();
    writes.get("a").complete(result("x".repeat(third)));
    writes.get("b").complete(result("y".repeat(third)));
    writes.get("c").complete(result("z".repeat(third)));
    writes.get("d").complete(result("small"));
    release.countDown();

    await().atMost(WAIT).until(() -> sent.size() == 2);
    onNetwork(() -> {});
    assertThat(sent)
        .extracting(m -> m.getAnswersList().stream().map(ForwardStreamResponse::getId).toList())
        .containsExactly(List.of(1L, 2L), List.of(3L, 4L));
    assertThat(sent).allMatch(m -> m.getSerializedSize() < ForwardStreamHandler.MAX_ANSWERS_BYTES);
  }

  @Test
  void anAnswerLargerThanTheBoundGoesAlone() {
    List<ForwardAnswers> messages = new ArrayList<>();
    ForwardStreamResponse big =
        ForwardStreamResponse.newBuilder()
            .setId(1)
            .setResponse(result("x".repeat(ForwardStreamHandler.MAX_ANSWERS_BYTES + 1)))
            .build();
    ForwardStreamResponse small =
        ForwardStreamResponse.newBuilder().setId(2).setResponse(result("s")).build();
    StreamObserver<ForwardAnswers> into =
        new StreamObserver<>() {
          @Override
          public void onNext(ForwardAnswers answers) {
            messages.add(answers);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        };

    ForwardStreamHandler.sendInMessages(List.of(small, big, small), into);

    assertThat(messages)
        .extracting(m -> m.getAnswersList().stream().map(ForwardStreamResponse::getId).toList())
        .containsExactly(List.of(2L), List.of(1L), List.of(2L));
  }

  @Test
  void aWriteOfAnotherClusterEndsTheStreamAfterTheAnswersQueuedBeforeIt() throws Exception {
    onNetwork(() -> handler.onNext(batch("a", "b")));
    CountDownLatch release = holdNetwork();
    writes.get("a").complete(result("ra"));
    writes
        .get("b")
        .completeExceptionally(
            Status.FAILED_PRECONDITION.withDescription("cluster id mismatch").asException());

    assertThat(failed.get().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).getAnswersList())
        .extracting(ForwardStreamResponse::getId)
        .containsExactly(1L);
    release.countDown();
    onNetwork(() -> {});
    assertThat(sent).hasSize(1);
  }

  @Test
  void everyAnswerGoesOutExactlyOnceWhateverThreadsCompleteThem() throws Exception {
    int count = 4_000;
    String[] commands = new String[count];
    for (int i = 0; i < count; i++) {
      commands[i] = "w" + (i + 1);
    }
    onNetwork(() -> handler.onNext(batch(commands)));
    List<Thread> completers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int first = t + 1;
      Thread completer =
          new Thread(
              () -> {
                for (int i = first; i <= count; i += 4) {
                  writes.get("w" + i).complete(result("r" + i));
                }
              });
      completer.start();
      completers.add(completer);
    }
    for (Thread c : completers) {
      c.join();
    }

    await()
        .atMost(WAIT)
        .until(() -> sent.stream().mapToInt(ForwardAnswers::getAnswersCount).sum() >= count);
    onNetwork(() -> {});
    List<Long> ids =
        sent.stream()
            .flatMap(m -> m.getAnswersList().stream())
            .map(ForwardStreamResponse::getId)
            .toList();
    assertThat(ids).hasSize(count).doesNotHaveDuplicates();
  }
}
