package dev.ballot.raft;

import java.util.Objects;

/** What a snapshot covers: the state machine after applying every entry up to {@code index}. */
public record SnapshotMeta(long index, long term, ClusterConfig config) {
  public SnapshotMeta {
    if (index < 1 || term < 1) {
      throw new IllegalArgumentException(
          "snapshot needs index>=1 and term>=1: " + index + "/" + term);
    }
    Objects.requireNonNull(config, "config");
  }
}
