package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link RaftStorage} must do; each implementation's test class extends this. */
abstract class RaftStorageContractTest {
  static final ClusterConfig CONFIG = new ClusterConfig(List.of(1L, 2L, 3L), List.of(4L));

  protected RaftStorage storage;

  /** A fresh, empty storage; the base class closes it after each test. */
  protected abstract RaftStorage newStorage();

  @BeforeEach
  void openStorage() {
    storage = newStorage();
  }

  @AfterEach
  void closeStorage() {
    storage.close();
  }

  static Entry entry(long term, long index) {
    byte[] data = ("value-" + index + "@" + term).getBytes(StandardCharsets.UTF_8);
    return new Entry(term, index, EntryType.NORMAL, data);
  }

  /** Entries [from, to] of one term. */
  static List<Entry> entries(long term, long from, long to) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(entry(term, i));
    }
    return out;
  }

  static SnapshotMeta snapshot(long index, long term) {
    return new SnapshotMeta(index, term, CONFIG);
  }

  @Test
  void entriesAreReadBackByRangeWithinAByteBound() {
    storage.save(null, entries(1, 1, 10), new HardState(1, 0, 0), true);
    int entryBytes = entry(1, 1).sizeBytes();

    assertThat(storage.read(3, 7, Long.MAX_VALUE)).isEqualTo(entries(1, 3, 6));
    assertThat(storage.read(3, 7, 2L * entryBytes)).isEqualTo(entries(1, 3, 4));
    assertThat(storage.read(3, 7, 0)).as("at least one").isEqualTo(entries(1, 3, 3));
    assertThat(storage.read(9, 20, Long.MAX_VALUE)).isEqualTo(entries(1, 9, 10));
  }

  @Test
  void emptyStorageLoadsInitialState() {
    RestoredState state = storage.load();

    assertThat(state.hardState()).isEqualTo(HardState.EMPTY);
    assertThat(state.snapshot()).isNull();
    assertThat(state.entries()).isEmpty();
    assertThat(state.appliedIndex()).isZero();
  }

  @Test
  void savedEntriesAndHardStateLoadBack() {
    List<Entry> saved =
        List.of(
            Entry.noop(1, 1),
            new Entry(1, 2, EntryType.NORMAL, new byte[] {1, 2, 3}),
            new Entry(2, 3, EntryType.CONFIG, new byte[0]));
    HardState hardState = new HardState(2, 3, 2);

    storage.save(null, saved, hardState, true);
    RestoredState state = storage.load();

    assertThat(state.entries()).containsExactlyElementsOf(saved);
    assertThat(state.hardState()).isEqualTo(hardState);
    assertThat(state.snapshot()).isNull();
    assertThat(state.appliedIndex()).isZero();
  }

  @Test
  void conflictingSuffixIsReplaced() {
    storage.save(null, entries(1, 1, 5), null, true);

    storage.save(null, entries(2, 3, 4), null, true);

    List<Entry> expected = new ArrayList<>(entries(1, 1, 2));
    expected.addAll(entries(2, 3, 4));
    assertThat(storage.load().entries()).containsExactlyElementsOf(expected);
  }

  @Test
  void appendsAfterTheLastEntryKeepTheLog() {
    storage.save(null, entries(1, 1, 3), null, true);

    storage.save(null, entries(1, 4, 6), null, false);

    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(1, 1, 6));
  }

  @Test
  void latestHardStateWinsAndSavingWithoutOneKeepsIt() {
    storage.save(null, entries(1, 1, 1), new HardState(1, 1, 0), true);
    storage.save(null, List.of(), new HardState(3, 2, 1), true);

    storage.save(null, entries(3, 2, 2), null, true);

    assertThat(storage.load().hardState()).isEqualTo(new HardState(3, 2, 1));
  }

  @Test
  void snapshotFromLeaderReplacesTheWholeLog() {
    storage.save(null, entries(1, 1, 8), null, true);

    // Below the last stored index: entries after the snapshot go too, as the core drops them.
    storage.save(snapshot(5, 2), List.of(), new HardState(2, 0, 5), true);

    RestoredState state = storage.load();
    assertThat(state.snapshot()).isEqualTo(snapshot(5, 2));
    assertThat(state.entries()).isEmpty();
    assertThat(state.appliedIndex()).isEqualTo(5);
    assertThat(state.hardState()).isEqualTo(new HardState(2, 0, 5));
  }

  @Test
  void logContinuesAfterSnapshotFromLeader() {
    storage.save(null, entries(1, 1, 3), null, true);
    storage.save(snapshot(10, 2), List.of(), null, true);

    storage.save(null, entries(2, 11, 12), null, true);

    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(2, 11, 12));
  }

  @Test
  void compactionDropsEntriesTheSnapshotCovers() {
    storage.save(null, entries(1, 1, 10), null, true);
    storage.saveSnapshotMeta(snapshot(7, 1));

    // Keeps 6..7 for catch-up; load still starts after the snapshot.
    storage.compact(5);

    RestoredState state = storage.load();
    assertThat(state.snapshot()).isEqualTo(snapshot(7, 1));
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 8, 10));
    assertThat(state.appliedIndex()).isEqualTo(7);
  }

  @Test
  void logContinuesAfterCompactingEverything() {
    storage.save(null, entries(1, 1, 5), null, true);
    storage.saveSnapshotMeta(snapshot(5, 1));
    storage.compact(5);

    storage.save(null, entries(2, 6, 7), null, true);

    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(2, 6, 7));
  }

  @Test
  void olderSnapshotMetaDoesNotReplaceNewer() {
    storage.save(null, entries(1, 1, 10), null, true);
    storage.saveSnapshotMeta(snapshot(8, 1));

    storage.saveSnapshotMeta(snapshot(6, 1));

    assertThat(storage.load().snapshot()).isEqualTo(snapshot(8, 1));
  }

  @Test
  void snapshotMetaAfterUnsyncedLeaderSnapshotKeepsTheNewer() {
    storage.save(snapshot(5, 1), List.of(), null, false);
    storage.save(null, entries(1, 6, 9), null, false);

    storage.saveSnapshotMeta(snapshot(8, 1));

    RestoredState state = storage.load();
    assertThat(state.snapshot()).isEqualTo(snapshot(8, 1));
    assertThat(state.entries()).containsExactly(entry(1, 9));
  }

  @Test
  void compactionWithoutCoveringSnapshotIsRejected() {
    storage.save(null, entries(1, 1, 5), null, true);

    assertThatThrownBy(() -> storage.compact(3)).isInstanceOf(IllegalStateException.class);
    storage.saveSnapshotMeta(snapshot(2, 1));
    assertThatThrownBy(() -> storage.compact(3)).isInstanceOf(IllegalStateException.class);

    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(1, 3, 5));
  }

  @Test
  void writeThatWouldLeaveAGapIsRejectedAndLeavesNoTrace() {
    storage.save(null, entries(1, 1, 3), null, true);

    assertThatThrownBy(() -> storage.save(null, entries(1, 5, 6), new HardState(9, 0, 0), true))
        .isInstanceOf(IllegalStateException.class);

    storage.save(null, entries(1, 4, 4), null, true);
    RestoredState state = storage.load();
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 1, 4));
    assertThat(state.hardState()).isEqualTo(HardState.EMPTY);
  }

  @Test
  void nonContiguousEntriesAreRejected() {
    List<Entry> holed = List.of(entry(1, 1), entry(1, 3));

    assertThatThrownBy(() -> storage.save(null, holed, null, true))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(storage.load().entries()).isEmpty();
  }
}
