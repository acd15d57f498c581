package dev.ballot.storage;

import static dev.ballot.storage.LogEntryCodec.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
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

  private static byte[] event(long revision) {
    return ByteBuffer.allocate(9).put((byte) KvFamilies.EVENTS_PREFIX).putLong(revision).array();
  }

  private static TreeMap<String, String> contents(RocksDbRaftStorage s, ColumnFamilyHandle family) {
    TreeMap<String, String> out = new TreeMap<>();
    try (RocksIterator it = s.db().newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(
            HexFormat.of().formatHex(it.key()),
            new String(it.value(), StandardCharsets.ISO_8859_1));
      }
    }
    return out;
  }

  @Test
  void aHistoryKeptInKvMetaByAnEarlierVersionIsMovedToKvEvents() throws Exception {
    // The layout of earlier versions: no kv_events; the events in kv_meta under their prefix,
    // between the metadata keys and the leases.
    storage.close();
    Path old = dir.resolve("old");
    Map<String, String> events = new TreeMap<>();
    try (DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        ColumnFamilyOptions family = new ColumnFamilyOptions()) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> families =
          Stream.of("default", "raft_meta", "raft_log", "kv_data", "kv_meta")
              .map(name -> new ColumnFamilyDescriptor(bytes(name), family))
              .toList();
      try (RocksDB db = RocksDB.open(options, old.toString(), families, handles)) {
        ColumnFamilyHandle meta = handles.get(4);
        db.put(meta, bytes("applied_index"), bytes("3000"));
        db.put(meta, new byte[] {(byte) 0xf2, 1}, bytes("a lease"));
        // More than one batch of the move (4 MiB).
        for (long revision = 1; revision <= 3000; revision++) {
          String value = "event " + revision + " " + "v".repeat(2000);
          db.put(meta, event(revision), bytes(value));
          events.put(HexFormat.of().formatHex(event(revision)), value);
        }
        handles.forEach(ColumnFamilyHandle::close);
      }
    }

    storage = RocksDbRaftStorage.open(old);
    KvFamilies kv = rocks().kvFamilies();

    assertThat(kv.eventsApart()).isTrue();
    assertThat(contents(rocks(), kv.events())).isEqualTo(events);
    assertThat(contents(rocks(), kv.meta()))
        .containsOnlyKeys(HexFormat.of().formatHex(bytes("applied_index")), "f201");
    // Moved once: the next start finds nothing to move and the same state.
    storage.close();
    storage = RocksDbRaftStorage.open(old);
    assertThat(contents(rocks(), rocks().kvFamilies().events())).isEqualTo(events);
    assertThat(contents(rocks(), rocks().kvFamilies().meta())).hasSize(2);
  }

  @Test
  void aMoveOfTheHistoryThatACrashInterruptedIsDoneAgain() throws Exception {
    // A crash after part of the copies were flushed, before kv_meta's events were deleted.
    KvFamilies kv = rocks().kvFamilies();
    for (long revision = 1; revision <= 20; revision++) {
      rocks().db().put(kv.meta(), event(revision), bytes("e" + revision));
      if (revision <= 10) {
        rocks().db().put(kv.events(), event(revision), bytes("e" + revision));
      }
    }
    rocks().db().put(kv.meta(), bytes("revision"), bytes("20"));

    RocksDbRaftStorage reopened = (RocksDbRaftStorage) reopen();

    assertThat(contents(reopened, reopened.kvFamilies().events())).hasSize(20);
    assertThat(contents(reopened, reopened.kvFamilies().events()))
        .containsEntry(HexFormat.of().formatHex(event(15)), "e15");
    assertThat(contents(reopened, reopened.kvFamilies().meta()))
        .containsOnlyKeys(HexFormat.of().formatHex(bytes("revision")));
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
}
