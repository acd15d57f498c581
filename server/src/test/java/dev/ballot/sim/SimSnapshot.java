package dev.ballot.sim;

import dev.ballot.raft.SnapshotMeta;
import java.util.List;

/** A durable snapshot of the simulated state machine at {@code meta.index()}. */
record SimSnapshot(SnapshotMeta meta, List<Long> values, long hash) {
  SimSnapshot {
    values = List.copyOf(values);
  }
}
