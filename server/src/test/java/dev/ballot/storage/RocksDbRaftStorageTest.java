package dev.ballot.storage;

import static dev.ballot.storage.LogEntryCodec.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Statistics;
import org.rocksdb.TableProperties;
import org.rocksdb.TickerType;

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
  void saveIsOneWriteAndOneSyncWhateverItsSize() throws Exception {
    storage.close();
    try (Statistics stats = new Statistics()) {
      storage = RocksDbRaftStorage.open(dir, stats);
      long writesBefore = stats.getTickerCount(TickerType.WRITE_DONE_BY_SELF);
      long syncsBefore = stats.getTickerCount(TickerType.WAL_FILE_SYNCED);

      storage.save(null, entries(1, 1, 1000), new HardState(1, 1, 0), true);
      assertThat(stats.getTickerCount(TickerType.WRITE_DONE_BY_SELF) - writesBefore).isEqualTo(1);
      assertThat(stats.getTickerCount(TickerType.WAL_FILE_SYNCED) - syncsBefore).isEqualTo(1);

      storage.save(null, entries(1, 1001, 1100), null, false);
      assertThat(stats.getTickerCount(TickerType.WRITE_DONE_BY_SELF) - writesBefore).isEqualTo(2);
      assertThat(stats.getTickerCount(TickerType.WAL_FILE_SYNCED) - syncsBefore).isEqualTo(1);
      storage.close();
    }

    RestoredState state = reopen().load();
    assertThat(state.entries()).containsExactlyElementsOf(entries(1, 1, 1100));
    assertThat(state.hardState()).isEqualTo(new HardState(1, 1, 0));
  }

  @Test
  void flippedByteInAnEntryIsReportedWithItsIndex() throws RocksDBException {
    storage.save(null, entries(1, 1, 5), null, true);
    byte[] value = rocks().db().get(rocks().raftLogFamily(), key(3));
    value[value.length - 1] ^= 0x01;
    rocks().db().put(rocks().raftLogFamily(), key(3), value);

    RaftStorage reopened = reopen();

    assertThatThrownBy(reopened::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 3 is corrupt")
        .hasMessageContaining("checksum")
        .hasMessageContaining("(in " + dir + ")");
  }

  @Test
  void truncatedEntryIsReportedWithItsIndex() throws RocksDBException {
    storage.save(null, entries(1, 1, 5), null, true);
    rocks().db().put(rocks().raftLogFamily(), key(4), new byte[] {1, 2});

    RaftStorage reopened = reopen();

    assertThatThrownBy(reopened::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 4 is corrupt");
  }

  @Test
  void missingEntryIsReportedWithItsIndex() throws RocksDBException {
    storage.save(null, entries(1, 1, 5), null, true);
    rocks().db().delete(rocks().raftLogFamily(), key(3));

    RaftStorage reopened = reopen();

    assertThatThrownBy(reopened::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 3 is missing");
  }

  @Test
  void missingFirstEntryAfterSnapshotIsReported() throws RocksDBException {
    storage.save(null, entries(1, 1, 8), null, true);
    storage.saveSnapshotMeta(snapshot(5, 1));
    rocks().db().delete(rocks().raftLogFamily(), key(6));

    assertThatThrownBy(storage::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 6 is missing");
  }

  @Test
  void termGoingBackwardsIsReportedWithItsIndex() throws RocksDBException {
    storage.save(null, entries(2, 1, 5), null, true);
    rocks().db().put(rocks().raftLogFamily(), key(4), LogEntryCodec.encode(entry(1, 4)));

    assertThatThrownBy(reopen()::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 4 is corrupt")
        .hasMessageContaining("below the previous term");
  }

  @Test
  void corruptHardStateIsReported() throws RocksDBException {
    storage.save(null, List.of(), new HardState(5, 2, 0), true);
    rocks().db().put(rocks().raftMetaFamily(), bytes("hard_state"), bytes("garbage"));

    assertThatThrownBy(reopen()::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("hard state");
  }

  @Test
  void corruptSnapshotMetaIsReported() throws RocksDBException {
    storage.saveSnapshotMeta(snapshot(5, 1));
    byte[] value = rocks().db().get(rocks().raftMetaFamily(), bytes("snapshot_meta"));
    value[10] ^= 0x40;
    rocks().db().put(rocks().raftMetaFamily(), bytes("snapshot_meta"), value);

    assertThatThrownBy(reopen()::load)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("snapshot meta is corrupt");
  }

  @Test
  void compactionRemovesTheKeysFromDisk() throws RocksDBException {
    storage.save(null, entries(1, 1, 1000), null, true);
    try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
      rocks().db().flush(wait, rocks().raftLogFamily());
    }
    storage.saveSnapshotMeta(snapshot(900, 1));

    storage.compact(900);

    assertThat(logIndexes()).hasSize(100).startsWith(901L).endsWith(1000L);
    // Not just hidden by a tombstone: the tables on disk hold only the entries kept.
    long entriesOnDisk = 0;
    long rangeDeletionsOnDisk = 0;
    for (TableProperties table :
        rocks().db().getPropertiesOfAllTables(rocks().raftLogFamily()).values()) {
      entriesOnDisk += table.getNumEntries();
      rangeDeletionsOnDisk += table.getNumRangeDeletions();
    }
    assertThat(entriesOnDisk).isEqualTo(100);
    assertThat(rangeDeletionsOnDisk).isZero();
  }

  @Test
  void kvFamiliesAreSharedAndDurable() throws RocksDBException {
    rocks().db().put(rocks().kvDataFamily(), bytes("k"), bytes("v"));
    rocks().db().put(rocks().kvMetaFamily(), bytes("applied"), bytes("7"));

    RocksDbRaftStorage reopened = (RocksDbRaftStorage) reopen();

    assertThat(reopened.db().get(reopened.kvDataFamily(), bytes("k"))).isEqualTo(bytes("v"));
    assertThat(reopened.db().get(reopened.kvMetaFamily(), bytes("applied"))).isEqualTo(bytes("7"));
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

  private List<Long> logIndexes() {
    List<Long> indexes = new ArrayList<>();
    try (RocksIterator it = rocks().db().newIterator(rocks().raftLogFamily())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        indexes.add(LogEntryCodec.index(it.key()));
      }
    }
    return indexes;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
