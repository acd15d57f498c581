package dev.ballot.client;

import io.grpc.Status;

/**
 * The server rejected the request as malformed or out of range (gRPC {@code INVALID_ARGUMENT} or
 * {@code OUT_OF_RANGE}), for example {@code "etcdserver: request is too large"} or {@code
 * "etcdserver: key is not provided"}. Nothing was written; retrying the same request fails again.
 */
public final class InvalidRequestException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param code the gRPC status code
   * @param serverMessage the server's message
   * @param endpoint the endpoint that answered
   * @param cause the gRPC exception
   */
  public InvalidRequestException(
      Status.Code code, String serverMessage, String endpoint, Throwable cause) {
    super(serverMessage, code, serverMessage, endpoint, cause);
  }
}
