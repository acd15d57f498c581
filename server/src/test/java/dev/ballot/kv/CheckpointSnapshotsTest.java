package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static dev.ballot.kv.KvStoreFixture.rangeRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.ReadOnlyCheckpoint;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.SnapshotDir;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots taken on real RocksDB while another thread goes on applying, as the apply loop does:
 * the checkpoint says which index it holds, and holds exactly that index's state.
 */
class CheckpointSnapshotsTest {
  private static final ClusterConfig INITIAL = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  @TempDir Path dir;
  private RocksDbRaftStorage storage;
  private KvStore store;
  private SnapshotDir snapshotDir;
  private CheckpointSnapshots snapshots;

  @BeforeEach
  void open() {
    storage = RocksDbRaftStorage.open(dir.resolve("db"));
    store = new KvStore(storage.db(), storage.kvFamilies());
    snapshotDir = SnapshotDir.open(dir.resolve("snapshots"));
    snapshots = new CheckpointSnapshots(store, storage, snapshotDir, INITIAL);
  }

  @AfterEach
  void close() {
    store.close();
    storage.close();
  }

  /** Entry i puts key i: a state at index i holds exactly i keys, at revision i + 1. */
  private void apply(long index) {
    store.apply(index, command(putRequest("k" + index, "v")));
  }

  private static long keys(KvStore store) throws KvException {
    return store.range(rangeRequest("\0", "\0").setCountOnly(true).build()).getCount();
  }

  @Test
  void aTakeWhileEntriesApplyHoldsOneIndexAndExactlyItsState() throws Exception {
    for (long i = 1; i <= 500; i++) {
      apply(i);
    }
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Long> applying =
        CompletableFuture.supplyAsync(
            () -> {
              long i = 501;
              for (; !stop.get() || i < 2_000; i++) {
                apply(i);
              }
              return i - 1;
            });

    SnapshotMeta meta = snapshots.take(index -> index < 1_000 ? 3 : 4);
    stop.set(true);
    long last = applying.get(30, TimeUnit.SECONDS);

    assertThat(meta.index()).isBetween(500L, last);
    assertThat(meta.term()).isEqualTo(meta.index() < 1_000 ? 3 : 4);
    assertThat(meta.config()).isEqualTo(INITIAL);
    SnapshotDir.Local newest = snapshotDir.list().get(0);
    assertThat(newest.info().meta()).isEqualTo(meta);
    assertThat(newest.info().revision()).isEqualTo(meta.index() + 1);
    try (ReadOnlyCheckpoint checkpoint = new ReadOnlyCheckpoint(newest.path());
        KvStore held = new KvStore(new RocksKvEngine(checkpoint.db(), checkpoint.kvFamilies()))) {
      assertThat(held.appliedIndex()).isEqualTo(meta.index());
      assertThat(held.revision()).isEqualTo(meta.index() + 1);
      assertThat(keys(held)).isEqualTo(meta.index());
    }
    assertThat(store.appliedIndex()).isEqualTo(last);
  }

  @Test
  void aSecondTakeWithNothingAppliedKeepsTheFirst() {
    for (long i = 1; i <= 10; i++) {
      apply(i);
    }
    SnapshotMeta first = snapshots.take(index -> 2);
    SnapshotMeta again = snapshots.take(index -> 2);

    assertThat(again).isEqualTo(first);
    assertThat(snapshotDir.list()).hasSize(1);
    assertThat(snapshots.newestIndex()).isEqualTo(10);
  }
}
