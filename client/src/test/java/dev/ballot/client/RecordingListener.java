package dev.ballot.client;

import java.util.ArrayList;
import java.util.List;

/** Keeps what a watch delivered, for assertions; fails the test if calls arrive concurrently. */
final class RecordingListener implements WatchListener {
  private final List<WatchEvent> events = new ArrayList<>();
  private final List<WatchBatch> batches = new ArrayList<>();
  private final List<Long> progress = new ArrayList<>();
  private BallotException error;
  private long compactRevision;
  private long compactRequested;
  private boolean inCall;

  @Override
  public synchronized void onEvents(WatchBatch batch) {
    enter();
    batches.add(batch);
    events.addAll(batch.events());
    inCall = false;
  }

  @Override
  public synchronized void onProgress(long revision) {
    enter();
    progress.add(revision);
    inCall = false;
  }

  @Override
  public synchronized void onCompacted(long compactRevision, long requestedRevision) {
    enter();
    this.compactRevision = compactRevision;
    this.compactRequested = requestedRevision;
    inCall = false;
  }

  @Override
  public synchronized void onError(BallotException failure) {
    enter();
    error = failure;
    inCall = false;
  }

  private void enter() {
    if (inCall) {
      throw new IllegalStateException("listener called concurrently");
    }
    if (error != null || compactRevision != 0) {
      throw new IllegalStateException("listener called after the watch ended");
    }
    inCall = true;
  }

  synchronized List<WatchEvent> events() {
    return List.copyOf(events);
  }

  synchronized List<Long> revisions() {
    return events.stream().map(WatchEvent::revision).toList();
  }

  synchronized List<WatchBatch> batches() {
    return List.copyOf(batches);
  }

  synchronized List<Long> progress() {
    return List.copyOf(progress);
  }

  synchronized BallotException error() {
    return error;
  }

  synchronized long compactRevision() {
    return compactRevision;
  }

  synchronized long compactRequested() {
    return compactRequested;
  }
}
