package dev.ballot.it;

import dev.ballot.client.BallotException;
import dev.ballot.client.WatchBatch;
import dev.ballot.client.WatchEvent;
import dev.ballot.client.WatchListener;
import java.util.ArrayList;
import java.util.List;

/** A Ballot client watch listener that keeps every event it is given, and the failure if any. */
final class WatchRecorder implements WatchListener {
  private final List<WatchEvent> events = new ArrayList<>();
  private BallotException failure;

  @Override
  public synchronized void onEvents(WatchBatch batch) {
    events.addAll(batch.events());
  }

  @Override
  public synchronized void onError(BallotException failure) {
    this.failure = failure;
  }

  synchronized List<WatchEvent> events() {
    return List.copyOf(events);
  }

  synchronized BallotException failure() {
    return failure;
  }
}
