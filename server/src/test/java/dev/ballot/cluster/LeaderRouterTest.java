package dev.ballot.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.node.NodeException;
import dev.ballot.node.NodeStatus;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The route of work meant for the leader, in virtual time: where it goes, when it is tried again
 * (only when nothing can have happened), and how it ends.
 */
class LeaderRouterTest {
  private static final long SELF = 1;
  private static final long LEADER_WAIT_MS = 200;
  private static final long RETRY_PAUSE_MS = 10;
  private static final long REPLACED_GRACE_MS = 100;

  private final ManualTimer timer = new ManualTimer();
  private final FakeView view = new FakeView();
  private final LeaderRouter router =
      new LeaderRouter(view, timer, LEADER_WAIT_MS, RETRY_PAUSE_MS, REPLACED_GRACE_MS);
  private final RecordingWork work = new RecordingWork();

  @Test
  void aFollowerForwardsToTheLeaderItKnowsWithoutRunningTheWorkItself() {
    view.follow(2);
    work.forwardAnswers.add(CompletableFuture.completedFuture("ok"));

    CompletableFuture<String> result = router.route(work, 1_000);

    assertThat(result).isCompletedWithValue("ok");
    assertThat(work.forwardedTo).containsExactly(2L);
    assertThat(work.ranHere).isZero();
  }

  @Test
  void theLeaderRunsTheWorkHere() {
    view.lead();
    work.hereAnswers.add(CompletableFuture.completedFuture("here"));

    assertThat(router.route(work, 1_000)).isCompletedWithValue("here");
    assertThat(work.forwardedTo).isEmpty();
  }

  @Test
  void aNotLeaderAnswerIsRetriedAtTheLeaderItNames() {
    view.follow(2);
    work.forwardAnswers.add(CompletableFuture.failedFuture(RouteFailure.notLeader(3)));
    work.forwardAnswers.add(CompletableFuture.completedFuture("from 3"));

    assertThat(router.route(work, 1_000)).isCompletedWithValue("from 3");
    assertThat(work.forwardedTo).containsExactly(2L, 3L);
  }

  @Test
  void aRequestThatNeverLeftIsRetriedAfterAPause() {
    view.follow(2);
    work.forwardAnswers.add(CompletableFuture.failedFuture(RouteFailure.neverSent("refused")));
    work.forwardAnswers.add(CompletableFuture.completedFuture("second try"));

    CompletableFuture<String> result = router.route(work, 1_000);
    assertThat(result).isNotDone();
    assertThat(work.forwardedTo).containsExactly(2L);

    timer.advanceMs(RETRY_PAUSE_MS);
    assertThat(result).isCompletedWithValue("second try");
  }

  @Test
  void aWriteHeldByALeaderThatIsReplacedIsAnsweredAtOnceAsUnknown() {
    view.follow(2);
    work.forwardAnswers.add(new CompletableFuture<>()); // node 2 froze with the write

    CompletableFuture<String> result = router.route(work, 10_000);
    view.follow(2, 3); // node 2 again, in a later term: it may still answer
    assertThat(result).isNotDone();
    view.follow(3, 4);
    assertThat(result).as("node 2 may still answer for a moment").isNotDone();
    timer.advanceMs(REPLACED_GRACE_MS);

    RouteFailure failure = failureOf(result);
    assertThat(failure.kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    assertThat(failure.toStatus().getStatus().getDescription())
        .isEqualTo("etcdserver: request timed out, possibly due to previous leader failure");
    assertThat(work.forwardedTo).containsExactly(2L);
    assertThat(view.pendingReplacementWatchers()).isZero();
  }

  @Test
  void aReplacedLeaderThatAnswersWithinTheGraceIsHeard() {
    view.follow(2);
    CompletableFuture<String> answer = new CompletableFuture<>();
    work.forwardAnswers.add(answer); // node 2 removed itself and hands over, then answers

    CompletableFuture<String> result = router.route(work, 10_000);
    view.follow(3, 4);
    timer.advanceMs(REPLACED_GRACE_MS - 1);
    answer.complete("removed");

    assertThat(result).isCompletedWithValue("removed");
  }

  @Test
  void aForwardThatIsAnsweredStopsWatchingForANewLeader() {
    view.follow(2);
    work.forwardAnswers.add(CompletableFuture.completedFuture("ok"));

    assertThat(router.route(work, 1_000)).isCompletedWithValue("ok");
    assertThat(view.pendingReplacementWatchers()).isZero();
  }

  @Test
  void anUnknownOutcomeIsNeverRetried() {
    view.follow(2);
    work.forwardAnswers.add(
        CompletableFuture.failedFuture(RouteFailure.outcomeUnknown("link broke after sending")));
    work.forwardAnswers.add(CompletableFuture.completedFuture("must not be asked"));

    CompletableFuture<String> result = router.route(work, 1_000);
    timer.advanceMs(1_000);

    assertThat(failureOf(result).kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    assertThat(work.forwardedTo).containsExactly(2L);
  }

  @Test
  void theLeadersRefusalIsTheAnswer() {
    view.follow(2);
    work.forwardAnswers.add(
        CompletableFuture.failedFuture(
            RouteFailure.refused(
                io.grpc.Status.INVALID_ARGUMENT.withDescription("etcdserver: too many ops"))));

    RouteFailure failure = failureOf(router.route(work, 1_000));

    assertThat(failure.kind()).isEqualTo(RouteFailure.Kind.REFUSED);
    assertThat(failure.toStatus().getStatus().getDescription())
        .isEqualTo("etcdserver: too many ops");
    assertThat(work.forwardedTo).containsExactly(2L);
  }

  @Test
  void aLeaderThatNeverAnswersEndsAsAnUnknownOutcomeByTheInjectedTimer() {
    view.follow(2);
    CompletableFuture<String> silent = new CompletableFuture<>();
    work.forwardAnswers.add(silent);

    CompletableFuture<String> result = router.route(work, 500);
    timer.advanceMs(499);
    assertThat(result).isNotDone();

    timer.advanceMs(1);
    assertThat(failureOf(result).kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    assertThat(silent).as("the hop is given up too").isCompletedExceptionally();
  }

  @Test
  void withoutALeaderItWaitsForOneAndThenForwards() {
    view.noLeader();
    work.forwardAnswers.add(CompletableFuture.completedFuture("after election"));

    CompletableFuture<String> result = router.route(work, 1_000);
    timer.advanceMs(50);
    assertThat(result).isNotDone();
    assertThat(work.forwardedTo).isEmpty();

    view.follow(2);
    assertThat(result).isCompletedWithValue("after election");
  }

  @Test
  void noLeaderWithinTheBoundIsANoLeaderAnswer() {
    view.noLeader();

    CompletableFuture<String> result = router.route(work, 5_000);
    timer.advanceMs(LEADER_WAIT_MS);

    RouteFailure failure = failureOf(result);
    assertThat(failure.kind()).isEqualTo(RouteFailure.Kind.NO_LEADER);
    assertThat(failure.toStatus().getStatus().getDescription()).isEqualTo("etcdserver: no leader");
    assertThat(view.pendingWatchers()).as("the wait is given up").isZero();
  }

  @Test
  void aLeaderThatLostLeadershipMeanwhileHandsTheWorkToTheNewLeader() {
    view.lead();
    work.hereAnswers.add(
        CompletableFuture.failedFuture(
            new NodeException(NodeException.Kind.NOT_LEADER, 3, "stepped down")));
    work.forwardAnswers.add(CompletableFuture.completedFuture("from 3"));

    CompletableFuture<String> result = router.route(work, 1_000);
    assertThat(work.forwardedTo).as("not on the thread that refused").isEmpty();
    timer.advanceMs(0);
    assertThat(result).isCompletedWithValue("from 3");
    assertThat(work.ranHere).isEqualTo(1);
    assertThat(work.forwardedTo).containsExactly(3L);
  }

  @Test
  void aLeaderHandingOverTriesAgainAfterAPauseAndFollowsTheNewLeader() {
    view.lead();
    work.hereAnswers.add(
        CompletableFuture.failedFuture(
            new NodeException(NodeException.Kind.HANDING_OVER, 0, "transfer to 3")));
    work.forwardAnswers.add(CompletableFuture.completedFuture("from 3"));

    CompletableFuture<String> result = router.route(work, 1_000);
    view.follow(3);
    assertThat(result).isNotDone();
    timer.advanceMs(RETRY_PAUSE_MS);

    assertThat(result).isCompletedWithValue("from 3");
    assertThat(work.forwardedTo).containsExactly(3L);
  }

  @Test
  void aNodeRefusalOtherThanLeadershipIsTheAnswer() {
    view.lead();
    NodeException overloaded = new NodeException(NodeException.Kind.OVERLOADED, 0, "full");
    work.hereAnswers.add(CompletableFuture.failedFuture(overloaded));

    CompletableFuture<String> result = router.route(work, 1_000);

    assertThat(result).isCompletedExceptionally();
    assertThat(result.handle((v, e) -> e).join()).isSameAs(overloaded);
    assertThat(work.ranHere).isEqualTo(1);
  }

  @Test
  void retriesStopAtTheDeadlineWithNoLeaderSinceNothingWasDone() {
    view.follow(2);
    for (int i = 0; i < 1_000; i++) {
      work.forwardAnswers.add(CompletableFuture.failedFuture(RouteFailure.neverSent("down")));
    }

    CompletableFuture<String> result = router.route(work, 100);
    timer.advanceMs(200);

    assertThat(failureOf(result).kind()).isEqualTo(RouteFailure.Kind.NO_LEADER);
    assertThat(work.forwardedTo.size())
        .as("one try per pause, not a busy loop")
        .isBetween(2, (int) (100 / RETRY_PAUSE_MS) + 1);
  }

  private static RouteFailure failureOf(CompletableFuture<?> result) {
    assertThat(result).isCompletedExceptionally();
    Throwable error = result.handle((v, e) -> e).join();
    if (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    assertThat(error).isInstanceOf(RouteFailure.class);
    return (RouteFailure) error;
  }

  /** The local node's view: who leads, and watchers waiting for a leader. */
  private static final class FakeView implements LeaderView {
    private NodeStatus status = status(Role.FOLLOWER, RaftNode.NONE);
    private final List<CompletableFuture<Void>> watchers = new ArrayList<>();
    private final Map<CompletableFuture<Void>, long[]> replacementWatchers = new HashMap<>();

    private static NodeStatus status(Role role, long leader) {
      return status(role, leader, 2);
    }

    private static NodeStatus status(Role role, long leader, long term) {
      return new NodeStatus(SELF, role, leader, term, 10, 10);
    }

    /** Follows {@code leader} of {@code term}. */
    void follow(long leader, long term) {
      status = status(Role.FOLLOWER, leader, term);
      wake();
    }

    long pendingReplacementWatchers() {
      return replacementWatchers.keySet().stream().filter(w -> !w.isDone()).count();
    }

    void lead() {
      status = status(Role.LEADER, SELF);
      wake();
    }

    void follow(long leader) {
      status = status(Role.FOLLOWER, leader);
      wake();
    }

    void noLeader() {
      status = status(Role.FOLLOWER, RaftNode.NONE);
    }

    long pendingWatchers() {
      return watchers.stream().filter(w -> !w.isDone()).count();
    }

    private void wake() {
      List<CompletableFuture<Void>> waiting = new ArrayList<>(watchers);
      watchers.clear();
      waiting.forEach(w -> w.complete(null));
      replacementWatchers.forEach(
          (w, leaderAndTerm) -> {
            if (status.leaderId() != leaderAndTerm[0] && status.term() > leaderAndTerm[1]) {
              w.complete(null);
            }
          });
    }

    @Override
    public CompletableFuture<Void> whenLeaderReplaced(long leader, long term) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      replacementWatchers.put(f, new long[] {leader, term});
      return f;
    }

    @Override
    public NodeStatus status() {
      return status;
    }

    @Override
    public CompletableFuture<Void> whenLeaderKnown() {
      CompletableFuture<Void> f = new CompletableFuture<>();
      if (status.leaderId() != RaftNode.NONE) {
        f.complete(null);
      } else {
        watchers.add(f);
      }
      return f;
    }
  }

  /** Work whose answers the test scripts, recording where it was asked to run. */
  private static final class RecordingWork implements LeaderWork<String> {
    final Deque<CompletableFuture<String>> hereAnswers = new ArrayDeque<>();
    final Deque<CompletableFuture<String>> forwardAnswers = new ArrayDeque<>();
    final List<Long> forwardedTo = new ArrayList<>();
    int ranHere;

    @Override
    public CompletableFuture<String> runHere(long timeoutMs) {
      ranHere++;
      CompletableFuture<String> next = hereAnswers.poll();
      return next == null ? new CompletableFuture<>() : next;
    }

    @Override
    public CompletableFuture<String> forward(long leaderId, long timeoutMs) {
      forwardedTo.add(leaderId);
      CompletableFuture<String> next = forwardAnswers.poll();
      return next == null ? new CompletableFuture<>() : next;
    }
  }
}
