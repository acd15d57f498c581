package dev.ballot.node;

/** For a test of the apply loop without a driver: a loop that has already ended. */
final class StoppedLoop implements WorkLoop {
  @Override
  public long runOnce() {
    return NO_DEADLINE;
  }

  @Override
  public boolean isDone() {
    return true;
  }
}
