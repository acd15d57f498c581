package dev.ballot.client;

import io.grpc.Status;

/**
 * {@link BallotClient#increment} found a value that is not a decimal integer, or the sum would
 * overflow a signed 64-bit integer; nothing was written.
 */
public final class NotACounterException extends BallotException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was found, with the key
   */
  public NotACounterException(String message) {
    super(message, Status.Code.FAILED_PRECONDITION, message, null, null);
  }
}
