package dev.ballot.raft;

/**
 * The leader's view of one follower (etcd's tracker.Progress): how much of the log it matches, what
 * to send next, and how aggressively.
 *
 * <ul>
 *   <li>PROBE: the follower's position is unknown; one AppendEntries at a time, then wait for an
 *       answer or a heartbeat response.
 *   <li>REPLICATE: the position is known; stream entries optimistically within the inflight window.
 *   <li>SNAPSHOT: the follower needs a snapshot; send nothing until it reports back.
 * </ul>
 */
final class Progress {
  enum State {
    PROBE,
    REPLICATE,
    SNAPSHOT
  }

  private State state = State.PROBE;
  private long matchIndex;
  private long nextIndex;
  private boolean probeSent;
  private long pendingSnapshotIndex;
  private boolean recentActive;

  /** Ticks since the follower last answered; starts "long ago" so a new leader proves liveness. */
  private int ticksSinceHeard = Integer.MAX_VALUE;

  private int snapshotWaitTicks;
  private final Inflights inflights;

  Progress(long nextIndex, int maxInflight) {
    this.nextIndex = nextIndex;
    this.inflights = new Inflights(maxInflight);
  }

  State state() {
    return state;
  }

  long matchIndex() {
    return matchIndex;
  }

  /** Append messages sent to the follower and not yet acknowledged. */
  int inflight() {
    return inflights.count();
  }

  long nextIndex() {
    return nextIndex;
  }

  long pendingSnapshotIndex() {
    return pendingSnapshotIndex;
  }

  boolean recentActive() {
    return recentActive;
  }

  void setRecentActive(boolean active) {
    recentActive = active;
  }

  /** The follower answered: active for check-quorum, and heard from just now. */
  void heardFrom() {
    recentActive = true;
    ticksSinceHeard = 0;
  }

  /** One tick of the leader passed. */
  void tickSinceHeard() {
    if (ticksSinceHeard != Integer.MAX_VALUE) {
      ticksSinceHeard++;
    }
  }

  /** Whether the follower answered within the last {@code ticks} ticks. */
  boolean heardWithin(int ticks) {
    return ticksSinceHeard <= ticks;
  }

  boolean isPaused() {
    return switch (state) {
      case PROBE -> probeSent;
      case REPLICATE -> inflights.full();
      case SNAPSHOT -> true;
    };
  }

  void becomeProbe() {
    // Coming back from a snapshot, the follower has at least the snapshot's entries.
    long from = state == State.SNAPSHOT ? Math.max(matchIndex, pendingSnapshotIndex) : matchIndex;
    state = State.PROBE;
    nextIndex = from + 1;
    probeSent = false;
    pendingSnapshotIndex = 0;
    inflights.reset();
  }

  void becomeReplicate() {
    state = State.REPLICATE;
    nextIndex = matchIndex + 1;
    probeSent = false;
    pendingSnapshotIndex = 0;
    inflights.reset();
  }

  void becomeSnapshot(long snapshotIndex) {
    state = State.SNAPSHOT;
    snapshotWaitTicks = 0;
    pendingSnapshotIndex = snapshotIndex;
    probeSent = false;
    inflights.reset();
  }

  /**
   * Counts a tick spent waiting for a snapshot to be acknowledged. Returns true when the wait
   * reached {@code limitTicks}: the snapshot or its answer was lost, so probe again.
   */
  boolean snapshotWaitExpired(int limitTicks) {
    return state == State.SNAPSHOT && ++snapshotWaitTicks >= limitTicks;
  }

  /** Records an AppendEntries just sent whose last entry is {@code lastIndex}. */
  void sentEntries(long lastIndex, boolean hasEntries) {
    switch (state) {
      case REPLICATE -> {
        if (hasEntries) {
          nextIndex = lastIndex + 1;
          inflights.add(lastIndex);
        }
      }
      case PROBE -> probeSent = true;
      case SNAPSHOT -> throw new IllegalStateException("no appends while sending a snapshot");
    }
  }

  /**
   * A heartbeat answer proves the follower is alive: a probing leader may try again, and a full
   * window (whose messages may all have been lost) lets one more message through.
   */
  void heartbeatAnswered() {
    probeSent = false;
    if (state == State.REPLICATE && inflights.full()) {
      inflights.freeFirst();
    }
  }

  /** The follower matches up to {@code index}. Returns true if that is news. */
  boolean maybeUpdate(long index) {
    boolean updated = false;
    if (index > matchIndex) {
      matchIndex = index;
      updated = true;
      probeSent = false;
    }
    nextIndex = Math.max(nextIndex, index + 1);
    inflights.freeTo(index);
    return updated;
  }

  /**
   * The follower rejected an AppendEntries at {@code rejectedIndex}; {@code hintNextIndex} is where
   * the leader should try next. Returns false for a stale rejection that must be ignored.
   */
  boolean maybeDecrTo(long rejectedIndex, long hintNextIndex) {
    if (state == State.REPLICATE) {
      if (rejectedIndex <= matchIndex) {
        return false;
      }
      nextIndex = matchIndex + 1;
      return true;
    }
    if (nextIndex - 1 != rejectedIndex) {
      return false;
    }
    nextIndex = Math.max(Math.min(rejectedIndex, hintNextIndex), matchIndex + 1);
    probeSent = false;
    return true;
  }

  @Override
  public String toString() {
    return state
        + "(match="
        + matchIndex
        + " next="
        + nextIndex
        + " inflight="
        + inflights.count()
        + (probeSent ? " probeSent" : "")
        + (state == State.SNAPSHOT ? " snap=" + pendingSnapshotIndex : "")
        + ")";
  }
}
