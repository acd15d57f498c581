package dev.ballot.client;

import io.grpc.Status;

/**
 * A watch asked for a revision that was compacted away: the events from it up to the compact
 * revision are gone. etcd's message for this is {@code "etcdserver: mvcc: required revision has
 * been compacted"}.
 */
public final class WatchCompactedException extends BallotException {
  private static final long serialVersionUID = 1L;

  /** etcd's message for a compacted revision. */
  public static final String ETCD_MESSAGE =
      "etcdserver: mvcc: required revision has been compacted";

  private final long compactRevision;
  private final long requestedRevision;

  private WatchCompactedException(
      String message, long compactRevision, long requestedRevision, String endpoint) {
    super(message, Status.Code.OUT_OF_RANGE, ETCD_MESSAGE, endpoint, null);
    this.compactRevision = compactRevision;
    this.requestedRevision = requestedRevision;
  }

  /**
   * Describes a compaction that ended a watch.
   *
   * @param compactRevision the server's compact revision
   * @param requestedRevision the revision the watch asked for
   * @param endpoint the endpoint that answered, or null
   * @return the exception
   */
  public static WatchCompactedException of(
      long compactRevision, long requestedRevision, String endpoint) {
    return new WatchCompactedException(
        "watch cancelled: revision "
            + requestedRevision
            + " has been compacted; the oldest revision kept is "
            + compactRevision,
        compactRevision,
        requestedRevision,
        endpoint);
  }

  /**
   * The oldest revision the server still keeps.
   *
   * @return the compact revision
   */
  public long compactRevision() {
    return compactRevision;
  }

  /**
   * The revision the watch asked for.
   *
   * @return the requested revision
   */
  public long requestedRevision() {
    return requestedRevision;
  }
}
