package dev.ballot.client;

import io.grpc.Status;

/**
 * A write was sent but no definite answer came back: the deadline passed, the server said {@code
 * "etcdserver: request timed out"} or {@code "etcdserver: server stopped"}, or the connection was
 * lost after sending. The write may or may not have been applied, now or later; the client did not
 * retry it. Read the key to find out, or make the write conditional (a transaction on the mod
 * revision) so that repeating it is safe.
 */
public final class OutcomeUnknownException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what happened, one line
   * @param code the gRPC status code of the failed attempt
   * @param serverMessage the server's message, or null
   * @param endpoint the endpoint the write was sent to
   * @param cause the gRPC exception
   */
  public OutcomeUnknownException(
      String message, Status.Code code, String serverMessage, String endpoint, Throwable cause) {
    super(message, code, serverMessage, endpoint, cause);
  }
}
