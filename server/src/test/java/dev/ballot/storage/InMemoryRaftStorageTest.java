package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import org.junit.jupiter.api.Test;

class InMemoryRaftStorageTest extends RaftStorageContractTest {

  @Override
  protected RaftStorage newStorage() {
    return new InMemoryRaftStorage();
  }

  private InMemoryRaftStorage memory() {
    return (InMemoryRaftStorage) storage;
  }

  @Test
  void unsyncedSaveIsLostWholeOnCrash() {
    storage.save(null, entries(1, 1, 3), new HardState(1, 1, 0), false);
    assertThat(storage.load().entries()).hasSize(3);

    memory().crash();

    RestoredState state = storage.load();
    assertThat(state.entries()).isEmpty();
    assertThat(state.hardState()).isEqualTo(HardState.EMPTY);
  }

  @Test
  void syncedSaveSurvivesCrash() {
    storage.save(null, entries(1, 1, 3), new HardState(1, 1, 0), true);

    memory().crash();

    RestoredState state = storage.load();
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 1, 3));
    assertThat(state.hardState()).isEqualTo(new HardState(1, 1, 0));
  }

  @Test
  void crashKeepsSyncedPrefixAndDropsUnsyncedSuffix() {
    storage.save(null, entries(1, 1, 3), new HardState(1, 1, 0), true);
    storage.save(null, entries(2, 3, 5), new HardState(2, 2, 0), false);

    memory().crash();

    RestoredState state = storage.load();
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 1, 3));
    assertThat(state.hardState()).isEqualTo(new HardState(1, 1, 0));
  }

  @Test
  void syncMakesEarlierUnsyncedWritesDurable() {
    storage.save(null, entries(1, 1, 3), null, false);
    storage.save(null, entries(1, 4, 4), null, true);

    memory().crash();

    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(1, 1, 4));
  }

  @Test
  void snapshotMetaIsSyncedWithTheWritesBeforeIt() {
    storage.save(null, entries(1, 1, 6), null, false);

    storage.saveSnapshotMeta(snapshot(4, 1));
    memory().crash();

    RestoredState state = storage.load();
    assertThat(state.snapshot()).isEqualTo(snapshot(4, 1));
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 5, 6));
  }

  @Test
  void compactionLostInACrashLeavesTheSnapshotCoveringIt() {
    storage.save(null, entries(1, 1, 6), null, true);
    storage.saveSnapshotMeta(snapshot(4, 1));
    storage.compact(4);
    assertThat(memory().entries()).containsExactlyElementsOf(entries(1, 5, 6));

    memory().crash();

    // Like an unsynced RocksDB range delete: the entries come back, load still skips them.
    assertThat(storage.load().entries()).containsExactlyElementsOf(entries(1, 5, 6));
  }
}
