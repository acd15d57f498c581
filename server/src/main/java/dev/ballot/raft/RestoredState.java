package dev.ballot.raft;

import java.util.List;
import java.util.Objects;

/**
 * What a node read back from its storage at start-up: everything the core needs to resume.
 *
 * @param hardState the last synced hard state ({@link HardState#EMPTY} on first start)
 * @param snapshot the newest snapshot, or null when the log starts at index 1
 * @param entries the log after the snapshot, contiguous
 * @param appliedIndex the index the state machine has applied (it resumes after it)
 */
public record RestoredState(
    HardState hardState, SnapshotMeta snapshot, List<Entry> entries, long appliedIndex) {
  public RestoredState {
    Objects.requireNonNull(hardState, "hardState");
    entries = List.copyOf(entries);
  }

  public static RestoredState empty() {
    return new RestoredState(HardState.EMPTY, null, List.of(), 0);
  }
}
