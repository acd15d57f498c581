package dev.ballot.client;

import static dev.ballot.client.CallKind.READ;
import static dev.ballot.client.CallKind.WRITE;
import static dev.ballot.client.FailureClassifier.classify;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.FailureClassifier.Verdict;
import io.grpc.Status;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class FailureClassifierTest {
  private static Throwable unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  @Test
  void writesAreRetriedOnlyOnAnswersThatProveThemNeverApplied() {
    for (String message : FailureClassifier.REJECTED_BEFORE_PROPOSING) {
      assertThat(classify(WRITE, unavailable(message), true)).as(message).isEqualTo(Verdict.RETRY);
    }
    assertThat(classify(WRITE, unavailable("etcdserver: leader changed"), true))
        .as("Ballot's leader changed: the write's entry was replaced")
        .isEqualTo(Verdict.RETRY);
    assertThat(classify(WRITE, unavailable("etcdserver: request timed out"), true))
        .isEqualTo(Verdict.OUTCOME_UNKNOWN);
    assertThat(
            classify(
                WRITE,
                unavailable(
                    "etcdserver: request timed out, possibly due to previous leader failure"),
                true))
        .isEqualTo(Verdict.OUTCOME_UNKNOWN);
    assertThat(classify(WRITE, unavailable("etcdserver: server stopped"), true))
        .isEqualTo(Verdict.OUTCOME_UNKNOWN);
    assertThat(classify(WRITE, unavailable("Network closed for unknown reason"), true))
        .isEqualTo(Verdict.OUTCOME_UNKNOWN);
  }

  @Test
  void etcdsNotLeaderComesAsFailedPreconditionAndIsSafe() {
    Throwable notLeader =
        Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader").asRuntimeException();
    assertThat(classify(WRITE, notLeader, true)).isEqualTo(Verdict.RETRY);
  }

  @Test
  void writesThatNeverLeftTheClientAreRetried() {
    Throwable refused =
        Status.UNAVAILABLE
            .withDescription("io exception")
            .withCause(new ConnectException("Connection refused"))
            .asRuntimeException();
    assertThat(classify(WRITE, refused, true)).isEqualTo(Verdict.RETRY);
    assertThat(classify(WRITE, unavailable("anything"), false)).isEqualTo(Verdict.RETRY);
  }

  @Test
  void deadlineIsOutcomeUnknownForSentWritesOnly() {
    Throwable deadline = Status.DEADLINE_EXCEEDED.asRuntimeException();
    assertThat(classify(WRITE, deadline, true)).isEqualTo(Verdict.OUTCOME_UNKNOWN);
    assertThat(classify(READ, deadline, true)).isEqualTo(Verdict.READ_TIMED_OUT);
    assertThat(classify(WRITE, deadline, false)).isEqualTo(Verdict.UNREACHABLE);
  }

  @Test
  void ambiguousServerErrorsLeaveSentWritesUnknown() {
    for (Status status : new Status[] {Status.UNKNOWN, Status.INTERNAL, Status.CANCELLED}) {
      assertThat(classify(WRITE, status.asRuntimeException(), true))
          .as(status.getCode().toString())
          .isEqualTo(Verdict.OUTCOME_UNKNOWN);
      assertThat(classify(READ, status.asRuntimeException(), true)).isEqualTo(Verdict.FAILED);
    }
  }

  @Test
  void readsAreRetriedOnAnyUnavailable() {
    assertThat(classify(READ, unavailable("etcdserver: request timed out"), true))
        .isEqualTo(Verdict.RETRY);
    assertThat(classify(READ, unavailable(null), true)).isEqualTo(Verdict.RETRY);
  }

  @Test
  void definiteErrorsMapToTypedExceptions() {
    Throwable tooLarge =
        Status.INVALID_ARGUMENT
            .withDescription("etcdserver: request is too large")
            .asRuntimeException();
    Throwable noSpace =
        Status.RESOURCE_EXHAUSTED
            .withDescription("etcdserver: mvcc: database space exceeded")
            .asRuntimeException();
    Throwable denied =
        Status.PERMISSION_DENIED
            .withDescription("etcdserver: permission denied")
            .asRuntimeException();

    assertThat(classify(WRITE, tooLarge, true)).isEqualTo(Verdict.FAILED);
    assertThat(FailureClassifier.definiteFailure(tooLarge, "e:1"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("etcdserver: request is too large");
    assertThat(FailureClassifier.definiteFailure(noSpace, "e:1"))
        .isInstanceOf(ResourceExhaustedException.class);
    BallotException other = FailureClassifier.definiteFailure(denied, "e:1");
    assertThat(other.getClass()).isEqualTo(BallotException.class);
    assertThat(other.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(other.serverMessage()).isEqualTo("etcdserver: permission denied");
    assertThat(other.endpoint()).isEqualTo("e:1");
  }

  @Test
  void connectionResetAfterSendingLeavesAWriteUnknownButNotARead() {
    Throwable reset =
        Status.UNAVAILABLE
            .withDescription("io exception")
            .withCause(new java.io.IOException("Connection reset by peer"))
            .asRuntimeException();
    assertThat(classify(WRITE, reset, true)).isEqualTo(Verdict.OUTCOME_UNKNOWN);
    assertThat(classify(WRITE, reset, false)).isEqualTo(Verdict.RETRY);
    assertThat(classify(READ, reset, true)).isEqualTo(Verdict.RETRY);
  }

  @Test
  void failedPreconditionOtherThanNotLeaderIsADefiniteFailure() {
    Throwable notLearner =
        Status.FAILED_PRECONDITION
            .withDescription("etcdserver: can only promote a learner member")
            .asRuntimeException();
    assertThat(classify(WRITE, notLearner, true)).isEqualTo(Verdict.FAILED);
  }
}
