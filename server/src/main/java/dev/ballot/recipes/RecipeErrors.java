package dev.ballot.recipes;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The errors of etcd's lock and election recipes. etcd returns them as plain Go errors, which its
 * gRPC server sends as status UNKNOWN with the error's text; clients compare the text.
 */
final class RecipeErrors {
  private RecipeErrors() {}

  static final String NOT_LEADER = "election: not leader";
  static final String NO_LEADER = "election: no leader";
  static final String MISSING_LEADER_KEY = "\"leader\" field must be provided";
  static final String LOCK_SESSION_EXPIRED = "mutex: session is expired";
  static final String ELECTION_SESSION_EXPIRED = "election: session is expired";

  static StatusRuntimeException plain(String message) {
    return Status.UNKNOWN.withDescription(message).asRuntimeException();
  }

  /** etcd's ErrCompacted, for a wait whose watch started at a compacted revision. */
  static StatusRuntimeException compacted() {
    return Status.OUT_OF_RANGE
        .withDescription("etcdserver: mvcc: required revision has been compacted")
        .asRuntimeException();
  }

  /** What the caller sees for a failed step: the inner request's own status, passed through. */
  static Status statusOf(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    Status status = Status.fromThrowable(cause);
    if (status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
      return status.withDescription(String.valueOf(cause));
    }
    return status;
  }
}
