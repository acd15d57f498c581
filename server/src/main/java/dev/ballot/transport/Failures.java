package dev.ballot.transport;

import java.util.concurrent.CompletionException;

/** What a failed future failed with. */
public final class Failures {
  private Failures() {}

  /** {@code error} without the {@link CompletionException}s that chained stages wrap it in. */
  public static Throwable cause(Throwable error) {
    while (error instanceof CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }
}
