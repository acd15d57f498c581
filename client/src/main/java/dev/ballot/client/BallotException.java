package dev.ballot.client;

import io.grpc.Status;

/**
 * A request failed with a definite answer: the server (or the client, before sending) refused it.
 * Subclasses name the cases a caller may want to handle apart; this class itself covers the rest.
 *
 * <p>Every instance carries the gRPC status code and, when the server sent one, etcd's message
 * (such as {@code "etcdserver: request is too large"}).
 */
public class BallotException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The gRPC status code. */
  private final Status.Code code;

  /** etcd's message, or null. */
  private final String serverMessage;

  /** The endpoint of the last attempt, or null. */
  private final String endpoint;

  /**
   * Creates an exception.
   *
   * @param message the one-line description
   * @param code the gRPC status code of the failure
   * @param serverMessage the server's message (etcd's error text), or null
   * @param endpoint the endpoint that answered, or null when none did
   * @param cause the underlying exception, or null
   */
  public BallotException(
      String message, Status.Code code, String serverMessage, String endpoint, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.serverMessage = serverMessage;
    this.endpoint = endpoint;
  }

  /**
   * The gRPC status code of the failure.
   *
   * @return the code
   */
  public Status.Code code() {
    return code;
  }

  /**
   * The server's message, such as {@code "etcdserver: no leader"}; null when the failure did not
   * come from a server answer.
   *
   * @return the message or null
   */
  public String serverMessage() {
    return serverMessage;
  }

  /**
   * The endpoint of the last attempt, host:port; null when none was made.
   *
   * @return the endpoint or null
   */
  public String endpoint() {
    return endpoint;
  }
}
