package dev.ballot.client;

import io.grpc.Status;

/**
 * A read reached an endpoint but got no answer before the deadline (gRPC {@code
 * DEADLINE_EXCEEDED}). Reads change nothing, so the caller may simply try again. Writes that time
 * out fail with {@link OutcomeUnknownException} instead.
 */
public final class RequestTimeoutException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what happened, one line
   * @param endpoint the endpoint that did not answer
   * @param cause the gRPC exception
   */
  public RequestTimeoutException(String message, String endpoint, Throwable cause) {
    super(message, Status.Code.DEADLINE_EXCEEDED, null, endpoint, cause);
  }
}
