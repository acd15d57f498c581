package dev.ballot.storage;

import static dev.ballot.storage.LogEntryCodec.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

class RocksDbRaftStorageTest extends RaftStorageContractTest {
  @TempDir Path dir;

  @Override
  protected RaftStorage newStorage() {
    return RocksDbRaftStorage.open(dir);
  }

  private RocksDbRaftStorage rocks() {
    return (RocksDbRaftStorage) storage;
  }

  private RaftStorage reopen() {
    storage.close();
    storage = RocksDbRaftStorage.open(dir);
    return storage;
  }

  @Test
  void everythingSurvivesCloseAndReopen() {
    storage.save(null, entries(1, 1, 10), new HardState(2, 1, 8), true);
    storage.saveSnapshotMeta(snapshot(4, 1));
    storage.compact(4);
    storage.save(null, entries(2, 9, 12), new HardState(2, 1, 9), false);
    RestoredState before = storage.load();

    RestoredState after = reopen().load();

    assertThat(after).isEqualTo(before);
    assertThat(after.snapshot()).isEqualTo(snapshot(4, 1));
    assertThat(after.entries()).hasSize(8).last().isEqualTo(entry(2, 12));
  }

  @Test
  void aLogKeptInRocksDbByAnEarlierVersionIsMovedIntoSegmentFiles() throws Exception {
    // The layout of earlier versions: entries in raft_log, hard state and snapshot meta in
    // raft_meta. Written through the instance, with the segment folder removed afterwards.
    SnapshotMeta snapshot = snapshot(3, 1);
    for (long i = 1; i <= 10; i++) {
      rocks()
          .db()
          .put(rocks().raftLogFamily(), key(i), LogEntryCodec.encode(entry(i < 6 ? 1 : 2, i)));
    }
    HardState hardState = new HardState(2, 1, 9);
    rocks()
        .db()
        .put(rocks().raftMetaFamily(), bytes("hard_state"), MetaCodec.encodeHardState(hardState));
    rocks()
        .db()
        .put(
            rocks().raftMetaFamily(),
            bytes("snapshot_meta"),
            MetaCodec.encodeSnapshotMeta(snapshot));
    storage.close();
    SegmentedLog.deleteTree(dir.resolve(RocksDbRaftStorage.LOG_DIR));

    RestoredState moved = reopen().load();

    assertThat(moved.hardState()).isEqualTo(hardState);
    assertThat(moved.snapshot()).isEqualTo(snapshot);
    assertThat(moved.entries())
        .extracting(e -> e.index())
        .containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(moved.entries().get(3)).isEqualTo(entry(2, 7));
    // Gone from RocksDB, and still there after another restart.
    try (RocksIterator it = rocks().db().newIterator(rocks().raftLogFamily())) {
      it.seekToFirst();
      assertThat(it.isValid()).isFalse();
    }
    // An earlier version started on this data finds a hard state it cannot read, and refuses it.
    byte[] left = rocks().db().get(rocks().raftMetaFamily(), bytes("hard_state"));
    assertThatThrownBy(() -> MetaCodec.decodeHardState(left))
        .isInstanceOf(StorageCorruptionException.class);
    assertThat(reopen().load()).isEqualTo(moved);
  }

  @Test
  void aMissingLogFolderIsCorruptionNotANewNode() throws Exception {
    storage.save(null, entries(1, 1, 3), new HardState(4, 2, 1), true);
    storage.close();
    SegmentedLog.deleteTree(dir.resolve(RocksDbRaftStorage.LOG_DIR));

    assertThatThrownBy(() -> RocksDbRaftStorage.open(dir))
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft-log")
        .hasMessageContaining("missing");
    storage = RocksDbRaftStorage.open(dir.resolve("other")); // for the teardown
  }

  @Test
  void aMoveThatACrashInterruptedIsDoneAgainFromRocksDb() throws Exception {
    // An earlier version's state in RocksDB, and a log folder from a move that did not finish
    // (here: holding other, older state).
    for (long i = 1; i <= 5; i++) {
      rocks().db().put(rocks().raftLogFamily(), key(i), LogEntryCodec.encode(entry(3, i)));
    }
    HardState hardState = new HardState(3, 1, 4);
    rocks()
        .db()
        .put(rocks().raftMetaFamily(), bytes("hard_state"), MetaCodec.encodeHardState(hardState));
    storage.close();
    Path logDir = dir.resolve(RocksDbRaftStorage.LOG_DIR);
    SegmentedLog.deleteTree(logDir);
    SegmentedLog.create(logDir, new HardState(1, 1, 0), null, entries(1, 1, 2), 4096);

    RestoredState moved = reopen().load();

    assertThat(moved.hardState()).isEqualTo(hardState);
    assertThat(moved.entries()).isEqualTo(entries(3, 1, 5));
  }

  @Test
  void anEarlierVersionStartedOnNewDataRefusesItsHardState() throws Exception {
    storage.save(null, entries(1, 1, 3), new HardState(4, 2, 1), true);

    byte[] value = rocks().db().get(rocks().raftMetaFamily(), bytes("hard_state"));
    assertThat(value).isNotNull();
    assertThatThrownBy(() -> MetaCodec.decodeHardState(value))
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("hard state is corrupt");
    assertThat(reopen().load().hardState()).isEqualTo(new HardState(4, 2, 1));
  }

  @Test
  void theLogDoesNotCountAsDatabaseBytesButLivesInTheInstanceFolder() {
    storage.save(null, entries(1, 1, 10), new HardState(1, 1, 5), true);

    assertThat(dir.resolve(RocksDbRaftStorage.LOG_DIR)).isDirectory();
    assertThat(dir.resolve(RocksDbRaftStorage.LOG_DIR).toFile().list())
        .anyMatch(name -> name.endsWith(".seg"));
  }

  @Test
  void kvFamiliesAreSharedAndDurable() throws Exception {
    rocks().db().put(rocks().kvFamilies().data(), bytes("k"), bytes("v"));
    rocks().db().put(rocks().kvFamilies().meta(), bytes("applied"), bytes("7"));

    RocksDbRaftStorage reopened = (RocksDbRaftStorage) reopen();

    assertThat(reopened.db().get(reopened.kvFamilies().data(), bytes("k"))).isEqualTo(bytes("v"));
    assertThat(reopened.db().get(reopened.kvFamilies().meta(), bytes("applied")))
        .isEqualTo(bytes("7"));
  }

  @Test
  void aHistoryKeptInKvMetaByAnEarlierVersionIsMovedToKvEvents() throws Exception {
    storage.close();
    Path old = dir.resolve("old");
    Map<String, String> events = EarlierLayout.write(old, 3000); // more than one batch (4 MiB)

    storage = RocksDbRaftStorage.open(old);
    KvFamilies kv = rocks().kvFamilies();

    assertThat(kv.eventsApart()).isTrue();
    assertThat(EarlierLayout.contents(rocks().db(), kv.events())).isEqualTo(events);
    assertThat(EarlierLayout.contents(rocks().db(), kv.meta()).keySet())
        .containsExactlyElementsOf(EarlierLayout.META_KEYS);
    // Moved once: the next start finds nothing to move and the same state.
    storage.close();
    storage = RocksDbRaftStorage.open(old);
    assertThat(EarlierLayout.contents(rocks().db(), rocks().kvFamilies().events()))
        .isEqualTo(events);
    assertThat(EarlierLayout.contents(rocks().db(), rocks().kvFamilies().meta())).hasSize(2);
  }

  @Test
  void aMoveOfTheHistoryThatACrashInterruptedIsDoneAgain() throws Exception {
    // A crash after part of the copies were flushed, before kv_meta's events were deleted.
    KvFamilies kv = rocks().kvFamilies();
    for (long revision = 1; revision <= 20; revision++) {
      rocks().db().put(kv.meta(), EarlierLayout.eventKey(revision), bytes("e" + revision));
      if (revision <= 10) {
        rocks().db().put(kv.events(), EarlierLayout.eventKey(revision), bytes("e" + revision));
      }
    }
    rocks().db().put(kv.meta(), bytes("revision"), bytes("20"));

    RocksDbRaftStorage reopened = (RocksDbRaftStorage) reopen();

    assertThat(EarlierLayout.contents(reopened.db(), reopened.kvFamilies().events())).hasSize(20);
    assertThat(EarlierLayout.contents(reopened.db(), reopened.kvFamilies().events()))
        .containsEntry(EarlierLayout.hex(EarlierLayout.eventKey(15)), "e15");
    assertThat(EarlierLayout.contents(reopened.db(), reopened.kvFamilies().meta()))
        .containsOnlyKeys(EarlierLayout.hex(bytes("revision")));
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseFails() {
    storage.close();
    storage.close();

    assertThatThrownBy(storage::load).isInstanceOf(IllegalStateException.class);
    SnapshotMeta meta = snapshot(1, 1);
    assertThatThrownBy(() -> storage.saveSnapshotMeta(meta))
        .isInstanceOf(IllegalStateException.class);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The quota thread and Status measure the instance from threads of their own: a measurement
   * racing the close either answers or throws IllegalStateException, and never calls into the
   * closed instance (a freed native handle crashes the whole process).
   */
  @Test
  void sizeMeasurementsRacingTheCloseThrowOrAnswer() throws Exception {
    for (int round = 0; round < 20; round++) {
      RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("race-" + round));
      java.util.concurrent.atomic.AtomicReference<Throwable> unexpected =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.CountDownLatch measuring = new java.util.concurrent.CountDownLatch(1);
      Thread measurer =
          new Thread(
              () -> {
                try {
                  while (true) {
                    storage.liveFiles();
                    storage.reclaimableBytes();
                    measuring.countDown();
                  }
                } catch (IllegalStateException closed) {
                  // the close came first: what a measurement after it must do
                } catch (Throwable t) {
                  unexpected.set(t);
                }
              });
      measurer.start();
      measuring.await();
      storage.close();
      measurer.join();
      assertThat(unexpected.get()).isNull();
    }
  }
}
