package dev.ballot.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import dev.ballot.raft.SnapshotMeta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileWriter;

/**
 * Snapshots on real RocksDB: checkpoint and info, retention, the dump staged on another node, and
 * the crash-safe install with its marker redone after a crash between any two steps.
 */
class SnapshotInstallTest {
  private static final ClusterConfig CLUSTER = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  @TempDir Path leaderDir;
  @TempDir Path followerDir;
  private final List<RocksDbRaftStorage> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(RocksDbRaftStorage::close);
  }

  private RocksDbRaftStorage openStorage(Path dir) {
    RocksDbRaftStorage s = RocksDbRaftStorage.open(dir.resolve("db"));
    open.add(s);
    return s;
  }

  private void closeStorage(RocksDbRaftStorage s) {
    open.remove(s);
    s.close();
  }

  private static void put(RocksDbRaftStorage s, ColumnFamilyHandle family, String k, String v)
      throws RocksDBException {
    s.db().put(family, k.getBytes(UTF_8), v.getBytes(UTF_8));
  }

  /**
   * Writes {@code keys} keys, an event for each, a lease and the applied index, as the state
   * machine would at {@code index}.
   */
  private static void writeState(RocksDbRaftStorage s, String prefix, int keys, long index)
      throws RocksDBException {
    writeState(s.db(), s.kvFamilies(), prefix, keys, index);
  }

  private static void writeState(RocksDB db, KvFamilies kv, String prefix, int keys, long index)
      throws RocksDBException {
    for (int i = 0; i < keys; i++) {
      String key = String.format("%s%05d", prefix, i);
      db.put(kv.data(), key.getBytes(UTF_8), ("v" + i + "@" + index).getBytes(UTF_8));
      db.put(kv.events(), eventKey(key), ("put " + key).getBytes(UTF_8));
    }
    db.put(kv.meta(), new byte[] {(byte) 0xf2, 7}, "a lease".getBytes(UTF_8));
    db.put(kv.meta(), "applied_index".getBytes(UTF_8), Long.toString(index).getBytes(UTF_8));
  }

  private static byte[] eventKey(String name) {
    byte[] key = new byte[name.length() + 1];
    key[0] = (byte) KvFamilies.EVENTS_PREFIX;
    System.arraycopy(name.getBytes(UTF_8), 0, key, 1, name.length());
    return key;
  }

  private static TreeMap<String, String> contents(RocksDbRaftStorage s, ColumnFamilyHandle family) {
    TreeMap<String, String> out = new TreeMap<>();
    try (RocksIterator it = s.db().newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(new String(it.key(), UTF_8), new String(it.value(), UTF_8));
      }
    }
    return out;
  }

  private static byte[] dump(Path snapshot) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SnapshotReader reader = new SnapshotReader(snapshot)) {
      for (byte[] piece; (piece = reader.next(1000)) != null; ) {
        assertThat(piece.length).isLessThanOrEqualTo(1000);
        out.writeBytes(piece);
      }
    }
    return out.toByteArray();
  }

  private static Path stage(SnapshotDir dir, SnapshotInfo info, byte[] dump) throws IOException {
    try (SnapshotStager stager = new SnapshotStager(dir, info.meta().index())) {
      for (int off = 0; off < dump.length; off += 777) {
        stager.append(java.util.Arrays.copyOfRange(dump, off, Math.min(dump.length, off + 777)));
      }
      return stager.finish(info);
    }
  }

  private SnapshotInfo leaderSnapshot(RocksDbRaftStorage leader, SnapshotDir dir, long index)
      throws RocksDBException {
    writeState(leader, "key", 500, index);
    SnapshotInfo info = new SnapshotInfo(new SnapshotMeta(index, 3, CLUSTER), index + 1);
    dir.take(leader.db(), info);
    return info;
  }

  /** A leader's snapshot at index 40, as sent: its storage, info and dump. */
  private record Sent(RocksDbRaftStorage leader, SnapshotInfo info, byte[] dump) {}

  private Sent leaderSnapshotAt40() throws RocksDBException {
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir leaderSnapshots = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, leaderSnapshots, 40);
    return new Sent(leader, info, dump(leaderSnapshots.list().get(0).path()));
  }

  @Test
  void checkpointHoldsTheStateAndInfoAtItsIndex() throws Exception {
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir dir = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, dir, 40);
    writeState(leader, "later", 3, 41); // after the checkpoint: not in it

    List<SnapshotDir.Local> all = dir.list();
    assertThat(all).hasSize(1);
    assertThat(all.get(0).info()).isEqualTo(info);
    assertThat(all.get(0).path().getFileName()).hasToString("40-3");
    byte[] dump = dump(all.get(0).path());
    String text = new String(dump, UTF_8);
    assertThat(text).contains("key00000", "key00499", "applied_index").doesNotContain("later");
  }

  @Test
  void snapshotInfoDetectsCorruption() {
    byte[] bytes = new SnapshotInfo(new SnapshotMeta(7, 2, CLUSTER), 9).encode();
    assertThat(SnapshotInfo.decode(bytes))
        .isEqualTo(new SnapshotInfo(new SnapshotMeta(7, 2, CLUSTER), 9));
    bytes[10] ^= 1;
    assertThatThrownBy(() -> SnapshotInfo.decode(bytes))
        .isInstanceOf(StorageCorruptionException.class);
  }

  @Test
  void onlyTheNewestTwoSnapshotsAreKeptExceptOneBeingSent() throws Exception {
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir dir = SnapshotDir.open(leaderDir.resolve("snapshots"));
    leaderSnapshot(leader, dir, 10);
    SnapshotDir.Local sending = dir.acquireNewest().orElseThrow();
    leaderSnapshot(leader, dir, 20);
    leaderSnapshot(leader, dir, 30);
    assertThat(dir.list()).extracting(SnapshotDir.Local::index).containsExactly(30L, 20L, 10L);

    dir.release(sending);
    leaderSnapshot(leader, dir, 40);
    assertThat(dir.list()).extracting(SnapshotDir.Local::index).containsExactly(40L, 30L);
    assertThat(dir.acquireNewest().orElseThrow().index()).isEqualTo(40);
  }

  @Test
  void stagedSnapshotInstallsTheLeadersStateAndReplacesTheLog() throws Exception {
    Sent sent = leaderSnapshotAt40();
    RocksDbRaftStorage leader = sent.leader();
    SnapshotInfo info = sent.info();
    byte[] dump = sent.dump();

    RocksDbRaftStorage follower = openStorage(followerDir);
    writeState(follower, "stale", 50, 12); // old state, different keys: all must go
    follower.save(null, entries(1, 12), new HardState(2, 0, 12), true);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stage(followerSnapshots, info, dump);

    new SnapshotInstaller(follower, followerSnapshots).install(staged);

    assertThat(contents(follower, follower.kvFamilies().data()))
        .isEqualTo(contents(leader, leader.kvFamilies().data()));
    assertThat(contents(follower, follower.kvFamilies().meta()))
        .isEqualTo(contents(leader, leader.kvFamilies().meta()));
    assertThat(contents(follower, follower.kvFamilies().events()))
        .hasSize(500)
        .isEqualTo(contents(leader, leader.kvFamilies().events()));
    assertThat(follower.load().snapshot()).isEqualTo(info.meta());
    assertThat(follower.load().entries()).isEmpty();
    assertThat(follower.countLogEntries()).isZero();
    assertThat(Files.exists(staged)).as("staged folder deleted").isFalse();
    assertThat(followerSnapshots.list())
        .extracting(SnapshotDir.Local::info)
        .as("the installed state, ready to be sent on")
        .containsExactly(info);
  }

  @Test
  void aCheckpointOfAnEarlierVersionDumpsAsOneOfThisVersionAndInstallsWithItsEvents()
      throws Exception {
    // This version: events in kv_events.
    Sent sent = leaderSnapshotAt40();
    RocksDbRaftStorage leader = sent.leader();
    SnapshotInfo info = sent.info();
    byte[] dump = sent.dump();
    // An earlier version's checkpoint of the same state: no kv_events, the events in kv_meta.
    Path old = followerDir.resolve("old-checkpoint");
    try (DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        ColumnFamilyOptions family = new ColumnFamilyOptions()) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      List<ColumnFamilyDescriptor> families =
          Stream.of("default", "kv_data", "kv_meta")
              .map(name -> new ColumnFamilyDescriptor(name.getBytes(UTF_8), family))
              .toList();
      try (RocksDB db = RocksDB.open(options, old.toString(), families, handles)) {
        writeState(db, KvFamilies.withEventsInMeta(handles.get(1), handles.get(2)), "key", 500, 40);
        handles.forEach(ColumnFamilyHandle::close);
      }
    }

    byte[] oldDump = dump(old);

    assertThat(oldDump).as("the same dump from either layout").isEqualTo(dump);
    RocksDbRaftStorage follower = openStorage(followerDir);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    new SnapshotInstaller(follower, followerSnapshots)
        .install(stage(followerSnapshots, info, oldDump));
    assertThat(contents(follower, follower.kvFamilies().events()))
        .hasSize(500)
        .isEqualTo(contents(leader, leader.kvFamilies().events()));
    assertThat(contents(follower, follower.kvFamilies().meta()))
        .isEqualTo(contents(leader, leader.kvFamilies().meta()))
        .hasSize(2);
  }

  /**
   * Stages {@code sent} in {@code dir} as an earlier version did (a node upgraded between staging
   * and installing): no events file, the events in the meta file.
   */
  private static Path stageAsEarlierVersion(Sent sent, SnapshotDir dir) throws Exception {
    RocksDbRaftStorage leader = sent.leader();
    Path staged = stage(dir, sent.info(), sent.dump());
    TreeMap<byte[], byte[]> meta = new TreeMap<>(Arrays::compareUnsigned);
    for (ColumnFamilyHandle family :
        List.of(leader.kvFamilies().meta(), leader.kvFamilies().events())) {
      try (RocksIterator it = leader.db().newIterator(family)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          meta.put(it.key(), it.value());
        }
      }
    }
    Files.delete(staged.resolve(SnapshotStager.EVENTS_SST));
    Files.delete(staged.resolve(SnapshotStager.META_SST));
    try (Options options = new Options();
        EnvOptions env = new EnvOptions();
        SstFileWriter writer = new SstFileWriter(env, options)) {
      writer.open(staged.resolve(SnapshotStager.META_SST).toString());
      for (var e : meta.entrySet()) {
        writer.put(e.getKey(), e.getValue());
      }
      writer.finish();
    }
    return staged;
  }

  /** The follower holds the leader's state at its index, the history in kv_events alone. */
  private static void assertSameKv(RocksDbRaftStorage follower, RocksDbRaftStorage leader) {
    for (ColumnFamilyHandle[] pair :
        List.of(
            new ColumnFamilyHandle[] {follower.kvFamilies().data(), leader.kvFamilies().data()},
            new ColumnFamilyHandle[] {follower.kvFamilies().meta(), leader.kvFamilies().meta()})) {
      assertThat(contents(follower, pair[0])).isEqualTo(contents(leader, pair[1]));
    }
    assertThat(contents(follower, follower.kvFamilies().events()))
        .hasSize(500)
        .isEqualTo(contents(leader, leader.kvFamilies().events()));
  }

  @Test
  void aSnapshotStagedByAnEarlierVersionInstallsWithItsEventsInKvEvents() throws Exception {
    Sent sent = leaderSnapshotAt40();
    RocksDbRaftStorage follower = openStorage(followerDir);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stageAsEarlierVersion(sent, followerSnapshots);

    new SnapshotInstaller(follower, followerSnapshots).install(staged);

    assertSameKv(follower, sent.leader());
  }

  /** Opens the storage (args: db), installs a staged snapshot (snapshots folder, staged folder). */
  public static final class Install {
    public static void main(String[] args) {
      try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(Path.of(args[0]))) {
        new SnapshotInstaller(storage, SnapshotDir.open(Path.of(args[1])))
            .install(Path.of(args[2]));
      }
      System.exit(0);
    }
  }

  /**
   * The install of an earlier version's staged snapshot moves its events out of kv_meta (inside
   * step 2); a JVM halted at each step of that move starts again with the move at open, then the
   * install redone from its marker: the leader's state, the history in kv_events alone.
   */
  @ParameterizedTest
  @MethodSource("dev.ballot.storage.HistoryMoveCrashTest#movePoints")
  void anInstallHaltedInTheMoveOfItsHistoryIsRedoneAtStartUp(String point) throws Exception {
    Sent sent = leaderSnapshotAt40();
    RocksDbRaftStorage follower = openStorage(followerDir);
    writeState(follower, "stale", 50, 12);
    follower.save(null, entries(1, 12), new HardState(2, 0, 12), true);
    closeStorage(follower);
    Path snapshots = followerDir.resolve("snapshots");
    Path staged = stageAsEarlierVersion(sent, SnapshotDir.open(snapshots));

    HistoryMoveCrashTest.runHalted(
        point,
        followerDir.resolve("halted.log"),
        Install.class,
        followerDir.resolve("db").toString(),
        snapshots.toString(),
        staged.toString());

    RocksDbRaftStorage restarted = openStorage(followerDir);
    SnapshotDir reopened = SnapshotDir.open(snapshots);
    assertThat(new SnapshotInstaller(restarted, reopened).recover()).isEqualTo(sent.info());
    assertSameKv(restarted, sent.leader());
    assertThat(restarted.load().snapshot()).isEqualTo(sent.info().meta());
    assertThat(restarted.countLogEntries()).isZero();
    assertThat(new SnapshotInstaller(restarted, reopened).recover()).isNull();
  }

  private static void record(ByteArrayOutputStream out, byte family, byte[] key, String value) {
    SnapshotReader.writeRecord(out, family, key, value.getBytes(UTF_8));
  }

  @Test
  void aDumpWhoseMetaRecordsAreOutOfOrderAcrossTheirFilesIsRefused() throws Exception {
    // Events and the other meta records go to two files, each of which checks its own order.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    record(out, SnapshotReader.FAMILY_META, eventKey("b"), "an event");
    record(out, SnapshotReader.FAMILY_META, "applied_index".getBytes(UTF_8), "40");
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    SnapshotInfo info = new SnapshotInfo(new SnapshotMeta(40, 3, CLUSTER), 41);

    assertThatThrownBy(() -> stage(followerSnapshots, info, out.toByteArray()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("out of order");
    ByteArrayOutputStream late = new ByteArrayOutputStream();
    record(late, SnapshotReader.FAMILY_META, eventKey("b"), "an event");
    record(late, SnapshotReader.FAMILY_DATA, "key".getBytes(UTF_8), "v");
    assertThatThrownBy(() -> stage(followerSnapshots, info, late.toByteArray()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("kv_data after kv_meta");
  }

  @Test
  void corruptDumpIsRefusedAndLeavesNothingStaged() throws Exception {
    Sent sent = leaderSnapshotAt40();
    SnapshotInfo info = sent.info();
    byte[] dump = sent.dump();
    byte[] truncated = java.util.Arrays.copyOf(dump, dump.length - 3);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));

    assertThatThrownBy(() -> stage(followerSnapshots, info, truncated))
        .isInstanceOf(IOException.class);
    try (var files = Files.list(followerSnapshots.path())) {
      assertThat(files).isEmpty();
    }
  }

  /** Crashes (closes without finishing) after {@code steps} of the install, then restarts. */
  private void crashDuringInstallThenRecover(int steps) throws Exception {
    Sent sent = leaderSnapshotAt40();
    RocksDbRaftStorage leader = sent.leader();
    SnapshotInfo info = sent.info();
    byte[] dump = sent.dump();

    RocksDbRaftStorage follower = openStorage(followerDir);
    writeState(follower, "stale", 50, 12);
    follower.save(null, entries(1, 12), new HardState(2, 0, 12), true);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stage(followerSnapshots, info, dump);
    SnapshotInstaller installer = new SnapshotInstaller(follower, followerSnapshots);

    // The steps of install(), stopped early as by a crash.
    follower
        .db()
        .put(
            follower.raftMetaFamily(),
            SnapshotInstaller.INSTALL_MARKER_KEY,
            staged.getFileName().toString().getBytes(UTF_8));
    if (steps >= 1) {
      installer.replaceKv(staged);
    }
    if (steps >= 2) {
      follower.save(info.meta(), List.of(), null, true);
    }
    closeStorage(follower);

    RocksDbRaftStorage restarted = openStorage(followerDir);
    SnapshotDir reopened = SnapshotDir.open(followerDir.resolve("snapshots"));
    SnapshotInfo recovered = new SnapshotInstaller(restarted, reopened).recover();

    assertThat(recovered).isEqualTo(info);
    assertThat(contents(restarted, restarted.kvFamilies().data()))
        .isEqualTo(contents(leader, leader.kvFamilies().data()));
    assertThat(contents(restarted, restarted.kvFamilies().meta()))
        .isEqualTo(contents(leader, leader.kvFamilies().meta()));
    assertThat(contents(restarted, restarted.kvFamilies().events()))
        .hasSize(500)
        .isEqualTo(contents(leader, leader.kvFamilies().events()));
    assertThat(restarted.load().snapshot()).isEqualTo(info.meta());
    assertThat(restarted.load().hardState().term()).isEqualTo(2);
    assertThat(restarted.countLogEntries()).isZero();
    assertThat(reopened.list())
        .as("a local snapshot to send on, at the installed index")
        .extracting(SnapshotDir.Local::index)
        .containsExactly(info.meta().index());
    // Recovered once, the marker is gone: a second start does nothing.
    assertThat(new SnapshotInstaller(restarted, reopened).recover()).isNull();
  }

  @Test
  void crashAfterTheMarkerIsRedoneAtStartUp() throws Exception {
    crashDuringInstallThenRecover(0);
  }

  @Test
  void crashAfterTheDataSwapIsRedoneAtStartUp() throws Exception {
    crashDuringInstallThenRecover(1);
  }

  @Test
  void crashBeforeTheMarkerIsClearedIsRedoneAtStartUp() throws Exception {
    crashDuringInstallThenRecover(2);
  }

  @Test
  void startUpWithoutMarkerDropsUnusedStagedSnapshots() throws Exception {
    Sent sent = leaderSnapshotAt40();
    SnapshotInfo info = sent.info();
    RocksDbRaftStorage follower = openStorage(followerDir);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stage(followerSnapshots, info, sent.dump());
    Files.createDirectories(followerSnapshots.path().resolve("incoming-99-1.tmp"));

    assertThat(new SnapshotInstaller(follower, followerSnapshots).recover()).isNull();
    SnapshotDir.open(followerSnapshots.path());
    assertThat(Files.exists(staged)).isFalse();
    try (var files = Files.list(followerSnapshots.path())) {
      assertThat(files).isEmpty();
    }
  }

  private static List<Entry> entries(long from, long to) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(new Entry(1, i, EntryType.NORMAL, new byte[] {(byte) i}));
    }
    return out;
  }
}
