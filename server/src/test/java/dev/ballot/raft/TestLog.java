package dev.ballot.raft;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A log written as runs of one term, e.g. {@code new TestLog().run(1, 3).run(5, 117)}. An entry's
 * payload is derived from its term and index, so equal positions in two logs hold equal entries.
 */
final class TestLog {
  private final List<Entry> entries = new ArrayList<>();

  /** Appends {@code count} entries of {@code term}. */
  TestLog run(long term, int count) {
    for (int i = 0; i < count; i++) {
      long index = entries.size() + 1;
      byte[] data = ("t" + term + "/i" + index).getBytes(StandardCharsets.UTF_8);
      entries.add(new Entry(term, index, EntryType.NORMAL, data));
    }
    return this;
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** What a node holding this log in {@code currentTerm}, with no vote cast, reads at start-up. */
  RestoredState restoredAt(long currentTerm, long commitIndex) {
    return new RestoredState(
        new HardState(currentTerm, RaftNode.NONE, commitIndex), null, entries, 0);
  }
}
