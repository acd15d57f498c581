package dev.ballot.node;

/**
 * When a node snapshots and how much log it keeps.
 *
 * @param snapshotEveryEntries a snapshot is taken once more than this many entries were applied
 *     past the last one (etcd's {@code --snapshot-count}); 0 never
 * @param catchUpEntries entries kept below the snapshot so slightly lagging followers catch up from
 *     the log rather than by snapshot
 */
public record SnapshotPolicy(long snapshotEveryEntries, long catchUpEntries) {
  public static final SnapshotPolicy NEVER = new SnapshotPolicy(0, 0);

  public SnapshotPolicy {
    if (snapshotEveryEntries < 0 || catchUpEntries < 0) {
      throw new IllegalArgumentException(
          "negative snapshot policy: every=" + snapshotEveryEntries + " catchUp=" + catchUpEntries);
    }
  }
}
