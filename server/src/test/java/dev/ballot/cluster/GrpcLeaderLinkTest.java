package dev.ballot.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.transport.PeerChannels;
import io.grpc.Context;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The follower's end of forwarded writes, against a leader's peer port over real gRPC: one stream
 * shared by all writes, answers matched by id, and how writes end when the stream does.
 */
class GrpcLeaderLinkTest {
  private static final long LEADER = 2;
  private static final long TIMEOUT_MS = 10_000;
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ManualTimer timer = new ManualTimer();
  private final PeerChannels channels = new PeerChannels();
  private ScriptedLeader leader;
  private GrpcLeaderLink link;

  private void start(ScriptedLeader scripted) {
    leader = scripted;
    String address = scripted.address();
    link = new GrpcLeaderLink(channels, id -> id == LEADER ? address : null, timer);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channels.close();
    if (leader != null) {
      leader.close();
    }
  }

  private CompletableFuture<ForwardResponse> write(String command) {
    return link.forward(LEADER, ScriptedLeader.write(command), TIMEOUT_MS);
  }

  private static String answerOf(CompletableFuture<ForwardResponse> write) {
    return write.join().getResponseOp().toStringUtf8();
  }

  private static RouteFailure failureOf(CompletableFuture<?> write) {
    try {
      write.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      assertThat(cause).isInstanceOf(RouteFailure.class);
      return (RouteFailure) cause;
    }
    throw new AssertionError("the write succeeded: " + write.join());
  }

  @Test
  void concurrentWritesAnsweredOutOfOrderReachTheirOwnCallersOverOneStream() throws Exception {
    start(ScriptedLeader.current());
    int writes = 400;
    List<CompletableFuture<ForwardResponse>> results = new ArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<CompletableFuture<ForwardResponse>>> sent = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        String command = "write-" + i;
        sent.add(CompletableFuture.supplyAsync(() -> write(command), callers));
      }
      for (CompletableFuture<CompletableFuture<ForwardResponse>> s : sent) {
        results.add(s.join());
      }
    } finally {
      callers.shutdown();
    }
    await().atMost(WAIT).until(() -> leader.received.size() == writes);
    assertThat(results).noneMatch(CompletableFuture::isDone);

    List<ScriptedLeader.Received> shuffled = new ArrayList<>(leader.received);
    Collections.shuffle(shuffled, new Random(12));
    for (ScriptedLeader.Received r : shuffled) {
      r.answerWithItsCommand();
    }

    for (int i = 0; i < writes; i++) {
      assertThat(results.get(i)).succeedsWithin(WAIT);
      assertThat(answerOf(results.get(i))).isEqualTo("write-" + i);
    }
    assertThat(leader.streamCalls).hasValue(1);
    assertThat(leader.received).extracting(r -> r.request().getId()).doesNotHaveDuplicates();
    assertThat(link.pendingWrites(leader.address())).isZero();
  }

  @Test
  void oneMessageOfAnswersCompletesEachWriteWithItsOwnAnswer() throws Exception {
    start(ScriptedLeader.current());
    List<CompletableFuture<ForwardResponse>> sent = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sent.add(write("w-" + i));
    }
    await().atMost(WAIT).until(() -> leader.received.size() == 5);
    assertThat(leader.batchSizes).containsExactly(1, 1, 1, 1, 1);

    List<ScriptedLeader.Received> three = new ArrayList<>(leader.received.subList(1, 4));
    Collections.reverse(three);
    ScriptedLeader.answerAll(three);

    for (int i = 1; i < 4; i++) {
      assertThat(sent.get(i)).succeedsWithin(WAIT);
      assertThat(answerOf(sent.get(i))).isEqualTo("w-" + i);
    }
    assertThat(sent.get(0)).isNotDone();
    assertThat(sent.get(4)).isNotDone();
    assertThat(link.pendingWrites(leader.address())).isEqualTo(2);
  }

  @Test
  void theStreamOutlivesTheClientCallThatOpenedIt() throws Exception {
    start(ScriptedLeader.current());
    // A client's put runs in the context of its gRPC call, which is cancelled once it is answered.
    Context.CancellableContext clientCall = Context.current().withCancellation();
    CompletableFuture<ForwardResponse> first = clientCall.call(() -> write("first"));
    await().atMost(WAIT).until(() -> leader.received.size() == 1);
    leader.received.get(0).answerWithItsCommand();
    assertThat(first).succeedsWithin(WAIT);
    clientCall.cancel(null);

    CompletableFuture<ForwardResponse> second = write("second");
    await().atMost(WAIT).until(() -> leader.received.size() == 2);
    leader.received.get(1).answerWithItsCommand();

    assertThat(second).succeedsWithin(WAIT);
    assertThat(answerOf(second)).isEqualTo("second");
    assertThat(leader.streamCalls).hasValue(1);
  }

  @Test
  void theLeaderEndingTheStreamFailsWaitingWritesAsOutcomeUnknownAndTheNextWriteReconnects()
      throws Exception {
    start(ScriptedLeader.current());
    List<CompletableFuture<ForwardResponse>> waiting = List.of(write("a"), write("b"), write("c"));
    await().atMost(WAIT).until(() -> leader.received.size() == 3);

    leader.breakStreams(Status.UNAVAILABLE.withDescription("leader stopping"));

    for (CompletableFuture<ForwardResponse> w : waiting) {
      assertThat(failureOf(w).kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    }
    CompletableFuture<ForwardResponse> next = write("d");
    await().atMost(WAIT).until(() -> leader.received.size() == 4);
    leader.received.get(3).answerWithItsCommand();

    assertThat(next).succeedsWithin(WAIT);
    assertThat(answerOf(next)).isEqualTo("d");
    assertThat(leader.streamCalls).hasValue(2);
  }

  @Test
  void aLeaderProcessThatDiesFailsWaitingWritesAsOutcomeUnknownAndRefusedOnesAsNeverSent()
      throws Exception {
    start(ScriptedLeader.current());
    CompletableFuture<ForwardResponse> waiting = write("a");
    await().atMost(WAIT).until(() -> leader.received.size() == 1);

    leader.kill();

    assertThat(failureOf(waiting).kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    leader.close();
    // Nothing listens there now: the next write's stream cannot connect, so nothing was done.
    assertThat(failureOf(write("b")).kind()).isEqualTo(RouteFailure.Kind.NEVER_SENT);
  }

  @Test
  void aWriteItsCallerGaveUpOnIsForgottenAndItsLateAnswerDropped() throws Exception {
    start(ScriptedLeader.current());
    // The route bounds a forward with its timer and completes it when the time is up.
    CompletableFuture<ForwardResponse> gaveUp = Deadlines.within(timer, write("late"), 100);
    await().atMost(WAIT).until(() -> leader.received.size() == 1);
    assertThat(link.pendingWrites(leader.address())).isEqualTo(1);

    timer.advanceMs(100);

    assertThat(gaveUp).isCompletedExceptionally();
    assertThat(link.pendingWrites(leader.address())).isZero();
    leader.received.get(0).answerWithItsCommand(); // late: dropped, the stream goes on
    CompletableFuture<ForwardResponse> next = write("next");
    await().atMost(WAIT).until(() -> leader.received.size() == 2);
    leader.received.get(1).answerWithItsCommand();
    assertThat(next).succeedsWithin(WAIT);
    assertThat(answerOf(next)).isEqualTo("next");
    assertThat(gaveUp)
        .failsWithin(WAIT)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(TimeoutException.class);
    assertThat(leader.streamCalls).hasValue(1);
  }

  @Test
  void aLeaderWithoutTheStreamGetsUnaryCallsUntilItIsTriedAgain() throws Exception {
    start(ScriptedLeader.older());

    // Its UNIMPLEMENTED means nothing was done: the route tries again, now with a unary call.
    assertThat(failureOf(write("first")).kind()).isEqualTo(RouteFailure.Kind.NEVER_SENT);
    CompletableFuture<ForwardResponse> second = write("second");
    assertThat(second).succeedsWithin(WAIT);
    assertThat(answerOf(second)).isEqualTo("second");
    assertThat(leader.unaryCalls).hasValue(1);
    assertThat(leader.streamCalls).hasValue(1);

    timer.advanceMs(GrpcLeaderLink.UNARY_RETRY_MS); // it may have been upgraded since
    assertThat(failureOf(write("third")).kind()).isEqualTo(RouteFailure.Kind.NEVER_SENT);
    assertThat(leader.streamCalls).hasValue(2);
  }
}
