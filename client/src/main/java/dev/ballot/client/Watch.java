package dev.ballot.client;

import java.util.concurrent.CompletableFuture;

/**
 * A running watch, as returned by {@link BallotClient#watch}; {@link #close()} cancels it.
 *
 * <h2>Guarantee</h2>
 *
 * The listener sees every event in the watched range from the start revision on exactly once, in
 * revision order, without a gap, for as long as the watch runs, across broken streams, node
 * restarts and failovers. When the stream to an endpoint breaks (the node died, the connection was
 * lost, {@code UNAVAILABLE}, or the node cancelled the watch with {@code "etcdserver: no leader"}),
 * the client opens a new stream, to the next endpoint when the first fails, and creates each watch
 * again from the revision after the last one delivered; events the new stream sends again are
 * dropped. The only way events can be missed is that the revision to resume from was compacted
 * meanwhile: then the watch ends with {@link WatchListener#onCompacted}, which names the revision,
 * and nothing after it is delivered.
 *
 * <p>A watch that no endpoint could create within the client's request timeout ends with {@link
 * WatchListener#onError} and an {@link UnavailableException}; once created, a watch retries for as
 * long as it is open (25 ms between rounds over the endpoints, doubling up to 500 ms).
 */
public final class Watch implements AutoCloseable {
  private final WatchOptions options;
  private final CompletableFuture<Long> created = new CompletableFuture<>();
  private final Runnable cancel;
  private volatile boolean closed;
  private volatile long nextRevision;

  Watch(WatchOptions options, Runnable cancel) {
    this.options = options;
    this.cancel = cancel;
    this.nextRevision = options.startRevision();
  }

  /**
   * What this watch follows.
   *
   * @return the options it was created with
   */
  public WatchOptions options() {
    return options;
  }

  /**
   * Completes once a server first created the watch, with that server's revision then: for a watch
   * without a start revision, every event after it will be delivered. Fails when the watch ends
   * before it was created.
   *
   * @return the revision at creation
   */
  public CompletableFuture<Long> created() {
    return created;
  }

  /**
   * The revision the watch would resume from: one past the last event (or progress notice)
   * delivered; the start revision before that, 0 while a watch "from now" is not yet created.
   *
   * @return the next revision wanted
   */
  public long nextRevision() {
    return nextRevision;
  }

  /**
   * Cancels the watch: once this returns, the listener gets no more calls, except one that is
   * running at that moment. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    created.cancel(false);
    cancel.run();
  }

  boolean isClosed() {
    return closed;
  }

  void setNextRevision(long revision) {
    nextRevision = revision;
  }

  CompletableFuture<Long> createdFuture() {
    return created;
  }
}
