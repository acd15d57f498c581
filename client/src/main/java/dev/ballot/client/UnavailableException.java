package dev.ballot.client;

import io.grpc.Status;

/**
 * No endpoint could serve the request before the deadline: none was reachable, or those reached
 * answered that they have no leader. The request was retried as long as that was safe, and for a
 * write this exception means it was certainly not applied.
 */
public final class UnavailableException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what the endpoints answered, one line
   * @param serverMessage the last server message (such as {@code "etcdserver: no leader"}), or null
   * @param endpoint the endpoint of the last attempt
   * @param cause the last gRPC exception
   */
  public UnavailableException(
      String message, String serverMessage, String endpoint, Throwable cause) {
    super(message, Status.Code.UNAVAILABLE, serverMessage, endpoint, cause);
  }
}
