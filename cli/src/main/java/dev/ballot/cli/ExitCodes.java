package dev.ballot.cli;

import dev.ballot.client.BallotException;
import dev.ballot.client.OutcomeUnknownException;
import dev.ballot.client.RequestTimeoutException;
import dev.ballot.client.UnavailableException;

/**
 * kvctl's exit codes, listed in every command's help (keep {@link Kvctl}'s exitCodeList in step).
 */
public final class ExitCodes {
  /** The command did what it was asked. */
  public static final int OK = 0;

  /** The server refused the request, or something else failed. */
  public static final int ERROR = 1;

  /** The command line was wrong. */
  public static final int USAGE = 2;

  /** cas: the key did not match, nothing was written. */
  public static final int COMPARE_FAILED = 3;

  /** A write got no answer in time and may or may not have been applied; or a read timed out. */
  public static final int OUTCOME_UNKNOWN = 4;

  /** No endpoint could be reached, or the cluster has no leader; nothing was written. */
  public static final int UNAVAILABLE = 5;

  private ExitCodes() {}

  /** The exit code for a failure. */
  static int of(Throwable failure) {
    if (failure instanceof OutcomeUnknownException || failure instanceof RequestTimeoutException) {
      return OUTCOME_UNKNOWN;
    }
    if (failure instanceof UnavailableException) {
      return UNAVAILABLE;
    }
    if (failure instanceof BallotException) {
      return ERROR;
    }
    if (failure instanceof IllegalArgumentException) {
      return USAGE;
    }
    return ERROR;
  }
}
