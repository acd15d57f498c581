package dev.ballot.it;

/**
 * Tears down several things: every step runs even if an earlier one failed, and {@link #finish}
 * then fails with the first failure, the later ones suppressed in it.
 */
final class Teardown {
  private RuntimeException failure;

  void run(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
  }

  /** Throws the first failure of the steps run, if any. */
  void finish() {
    if (failure != null) {
      throw failure;
    }
  }
}
