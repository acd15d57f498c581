package dev.ballot.client;

import io.grpc.Status;

/**
 * The server refused the request for lack of room (gRPC {@code RESOURCE_EXHAUSTED}): {@code
 * "etcdserver: too many requests"} under back-pressure or {@code "etcdserver: mvcc: database space
 * exceeded"} over quota. Nothing was written; the caller may back off and try again.
 */
public final class ResourceExhaustedException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param serverMessage the server's message
   * @param endpoint the endpoint that answered
   * @param cause the gRPC exception
   */
  public ResourceExhaustedException(String serverMessage, String endpoint, Throwable cause) {
    super(serverMessage, Status.Code.RESOURCE_EXHAUSTED, serverMessage, endpoint, cause);
  }
}
