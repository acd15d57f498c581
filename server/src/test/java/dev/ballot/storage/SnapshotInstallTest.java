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
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

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
   * Writes {@code keys} keys and the applied index, as the state machine would at {@code index}.
   */
  private static void writeState(RocksDbRaftStorage s, String prefix, int keys, long index)
      throws RocksDBException {
    for (int i = 0; i < keys; i++) {
      put(s, s.kvDataFamily(), String.format("%s%05d", prefix, i), "v" + i + "@" + index);
    }
    put(s, s.kvMetaFamily(), "applied_index", Long.toString(index));
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
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir leaderSnapshots = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, leaderSnapshots, 40);
    byte[] dump = dump(leaderSnapshots.list().get(0).path());

    RocksDbRaftStorage follower = openStorage(followerDir);
    writeState(follower, "stale", 50, 12); // old state, different keys: all must go
    follower.save(null, entries(1, 12), new HardState(2, 0, 12), true);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stage(followerSnapshots, info, dump);

    new SnapshotInstaller(follower, followerSnapshots).install(staged);

    assertThat(contents(follower, follower.kvDataFamily()))
        .isEqualTo(contents(leader, leader.kvDataFamily()));
    assertThat(contents(follower, follower.kvMetaFamily()))
        .isEqualTo(contents(leader, leader.kvMetaFamily()));
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
  void corruptDumpIsRefusedAndLeavesNothingStaged() throws Exception {
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir leaderSnapshots = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, leaderSnapshots, 40);
    byte[] dump = dump(leaderSnapshots.list().get(0).path());
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
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir leaderSnapshots = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, leaderSnapshots, 40);
    byte[] dump = dump(leaderSnapshots.list().get(0).path());

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
    assertThat(contents(restarted, restarted.kvDataFamily()))
        .isEqualTo(contents(leader, leader.kvDataFamily()));
    assertThat(contents(restarted, restarted.kvMetaFamily()))
        .isEqualTo(contents(leader, leader.kvMetaFamily()));
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
    RocksDbRaftStorage leader = openStorage(leaderDir);
    SnapshotDir leaderSnapshots = SnapshotDir.open(leaderDir.resolve("snapshots"));
    SnapshotInfo info = leaderSnapshot(leader, leaderSnapshots, 40);
    RocksDbRaftStorage follower = openStorage(followerDir);
    SnapshotDir followerSnapshots = SnapshotDir.open(followerDir.resolve("snapshots"));
    Path staged = stage(followerSnapshots, info, dump(leaderSnapshots.list().get(0).path()));
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
