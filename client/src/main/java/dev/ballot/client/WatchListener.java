package dev.ballot.client;

/**
 * Receives what a {@link Watch} sees. All calls for the watches of one client come one at a time
 * from one thread of that client, in order; a listener that blocks holds up every watch of its
 * client (and, through flow control, the server's sending), so hand slow work to an executor.
 *
 * <p>{@link #onCompacted} and {@link #onError} end the watch: nothing follows them. A listener that
 * throws ends its watch too, and gets {@link #onError} with the exception as the cause.
 */
public interface WatchListener {

  /**
   * New events, each delivered once, in revision order, after every earlier batch of this watch.
   *
   * @param batch one or more events
   */
  void onEvents(WatchBatch batch);

  /**
   * Every event up to {@code revision} was delivered: sent for a watch with {@link
   * WatchOptions.Builder#progressNotify()} while nothing happens. Ignored by default.
   *
   * @param revision the revision the watch has caught up with
   */
  default void onProgress(long revision) {}

  /**
   * The revision the watch was to continue from was compacted away, so the events in between can no
   * longer be delivered; the watch has ended. By default this calls {@link #onError} with a {@link
   * WatchCompactedException}.
   *
   * @param compactRevision the oldest revision the server still keeps; a new watch may start there
   * @param requestedRevision the revision the watch asked for
   */
  default void onCompacted(long compactRevision, long requestedRevision) {
    onError(WatchCompactedException.of(compactRevision, requestedRevision, null));
  }

  /**
   * The watch ended with an error: the server refused it, or no endpoint could create it within the
   * request timeout ({@link UnavailableException}).
   *
   * @param failure why
   */
  void onError(BallotException failure);
}
