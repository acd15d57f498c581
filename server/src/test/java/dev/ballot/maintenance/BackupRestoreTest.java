package dev.ballot.maintenance;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ballot.backup.BackupFormat;
import dev.ballot.backup.BackupFormatException;
import dev.ballot.backup.BackupHeader;
import dev.ballot.backup.BackupReader;
import dev.ballot.backup.BackupWriter;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.KvError;
import dev.ballot.kv.KvException;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.Lease;
import dev.ballot.kv.proto.Command;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupRestoreTest {
  @TempDir Path dir;

  @Test
  void checkpointBackupRestoresKeysRevisionsAndVersionsWithAppliedIndexZero() throws Exception {
    RangeResponse before;
    CheckpointBackup.Built built;
    try (RocksDbRaftStorage live = RocksDbRaftStorage.open(dir.resolve("live"));
        KvStore kv = new KvStore(live.db(), live.kvFamilies())) {
      long index = 0;
      for (int i = 0; i < 50; i++) {
        kv.apply(++index, put("k" + i, "v" + i));
      }
      kv.apply(++index, put("k3", "again"));
      kv.apply(
          ++index,
          Command.newBuilder()
              .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bytes("k4")))
              .build());
      before = kv.range(all());

      built = CheckpointBackup.build(live.db(), 77, dir.resolve("work"));

      kv.apply(++index, put("after-the-backup", "x")); // not in the backup
      assertThat(built.header().appliedIndex()).isEqualTo(index - 1);
    }
    assertThat(built.header().revision()).isEqualTo(before.getHeader().getRevision());
    assertThat(built.header().clusterId()).isEqualTo(77);
    assertThat(Files.exists(dir.resolve("work/checkpoint"))).isFalse();
    assertThat(BackupReader.verify(built.file()).pairCount()).isEqualTo(49);

    Path restoredDb = dir.resolve("new/db");
    BackupRestore.Restored restored = BackupRestore.restore(built.file(), restoredDb);

    assertThat(restored.pairCount()).isEqualTo(49);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(restoredDb);
        KvStore kv = new KvStore(storage.db(), storage.kvFamilies())) {
      assertThat(kv.appliedIndex()).isZero();
      assertThat(kv.revision()).isEqualTo(before.getHeader().getRevision());
      assertThat(kv.range(all()).getKvsList()).isEqualTo(before.getKvsList());
      assertThat(storage.load().entries()).isEmpty();
    }
  }

  @Test
  void leasesAndTheirKeysAreRestoredAndTheHistoryBeforeTheBackupIsCompacted() throws Exception {
    CheckpointBackup.Built built;
    long revision;
    try (RocksDbRaftStorage live = RocksDbRaftStorage.open(dir.resolve("live"));
        KvStore kv = new KvStore(live.db(), live.kvFamilies())) {
      long index = 0;
      kv.apply(
          ++index,
          Command.newBuilder()
              .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(7).setTTL(30))
              .build());
      kv.apply(
          ++index,
          Command.newBuilder()
              .setPut(PutRequest.newBuilder().setKey(bytes("a")).setValue(bytes("1")).setLease(7))
              .build());
      kv.apply(++index, put("b", "1"));
      kv.apply(++index, put("b", "2"));
      revision = kv.revision();
      built = CheckpointBackup.build(live.db(), 1, dir.resolve("work"));
    }
    assertThat(BackupReader.verify(built.file()).leaseCount()).isEqualTo(1);

    Path db = dir.resolve("new/db");
    BackupRestore.restore(built.file(), db);

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db);
        KvStore kv = new KvStore(storage.db(), storage.kvFamilies())) {
      assertThat(kv.leases()).containsExactly(new Lease(7, 30));
      assertThat(kv.leaseKeys(7)).containsExactly("a".getBytes(UTF_8));
      assertThat(kv.leaseBytes(7)).as("key and value of a, against the lease's bound").isEqualTo(2);
      assertThat(kv.range(all()).getKvsList())
          .extracting(KeyValue::getLease)
          .containsExactly(7L, 0L);
      assertThat(kv.revision()).isEqualTo(revision);
      // The backup holds no history: earlier revisions are compacted, not answered wrongly.
      assertThat(kv.compactRevision()).isEqualTo(revision);
      RangeRequest earlier = all().toBuilder().setRevision(revision - 1).build();
      assertThatThrownBy(() -> kv.range(earlier))
          .isInstanceOfSatisfying(
              KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.COMPACTED));
    }
  }

  @Test
  void aKeyWhoseLeaseTheBackupDoesNotHoldIsRestoredWithoutOne() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BackupWriter writer = new BackupWriter(bytes, new BackupHeader(BackupFormat.VERSION, 1, 5, 9));
    KeyValue record =
        KeyValue.newBuilder()
            .setCreateRevision(2)
            .setModRevision(5)
            .setVersion(2)
            .setLease(9)
            .setValue(bytes("v"))
            .build();
    writer.add("k".getBytes(UTF_8), record.toByteArray());
    writer.finish();
    Path file = Files.write(dir.resolve("no-lease.ballot"), bytes.toByteArray());

    BackupRestore.restore(file, dir.resolve("db"));

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("db"));
        KvStore kv = new KvStore(storage.db(), storage.kvFamilies())) {
      KeyValue restored = kv.range(all()).getKvs(0);
      assertThat(restored.getLease()).isZero();
      assertThat(restored.toBuilder().clearKey().setLease(9).build()).isEqualTo(record);
      assertThat(kv.leases()).isEmpty();
      assertThat(kv.revision()).isEqualTo(5);
    }
  }

  @Test
  void restoreRefusesAnExistingInstanceAndADamagedFile() throws Exception {
    Path file;
    try (RocksDbRaftStorage live = RocksDbRaftStorage.open(dir.resolve("live"))) {
      file = CheckpointBackup.build(live.db(), 1, dir.resolve("work")).file();
    }
    assertThatThrownBy(() -> BackupRestore.restore(file, dir.resolve("live")))
        .isInstanceOf(BackupRestore.DataDirInUseException.class)
        .hasMessageContaining("already holds data");

    byte[] bytes = Files.readAllBytes(file);
    bytes[40] ^= 1;
    Path damaged = Files.write(dir.resolve("damaged"), bytes);
    assertThatThrownBy(() -> BackupRestore.restore(damaged, dir.resolve("other/db")))
        .isInstanceOf(BackupFormatException.class);
    assertThat(dir.resolve("other/db")).doesNotExist();
  }

  @Test
  void aRestoredNodeRecordsTheBackupItStartsFromAndMayBeRestartedBeforeItFoundItsPeers()
      throws Exception {
    Path file;
    try (RocksDbRaftStorage live = RocksDbRaftStorage.open(dir.resolve("live"))) {
      assertThat(BackupRestore.restoredFingerprint(live)).as("not restored").isEmpty();
      file = CheckpointBackup.build(live.db(), 1, dir.resolve("work")).file();
    }
    Path db = dir.resolve("node/db");
    BackupRestore.restore(file, db);
    String fingerprint;
    try (RocksDbRaftStorage restored = RocksDbRaftStorage.open(db)) {
      fingerprint = BackupRestore.restoredFingerprint(restored);
    }
    assertThat(fingerprint).startsWith("sha256:").hasSize("sha256:".length() + 24);

    // Stopped before discovery wrote an identity: the same backup again carries on.
    BackupRestore.restore(file, db);
    try (RocksDbRaftStorage restored = RocksDbRaftStorage.open(db)) {
      assertThat(BackupRestore.restoredFingerprint(restored)).isEqualTo(fingerprint);
      restored.writeIdentity(new byte[] {1});
    }
    // Once the node has an identity it holds a cluster's data: never restored over.
    assertThatThrownBy(() -> BackupRestore.restore(file, db))
        .isInstanceOf(BackupRestore.DataDirInUseException.class);
  }

  @Test
  void aStartAfterAnInterruptedRestoreIsRefused() throws Exception {
    Path db = dir.resolve("node/db");
    BackupRestore.checkNotInterrupted(db); // nothing there: a new node
    Files.createDirectories(dir.resolve("node/db.restoring"));

    assertThatThrownBy(() -> BackupRestore.checkNotInterrupted(db))
        .isInstanceOf(BackupRestore.InterruptedRestoreException.class)
        .hasMessageContaining("was interrupted")
        .hasMessageContaining("--restore-from");
  }

  @Test
  void storedSnapshotIndexIsZeroWithoutASnapshotThenTheStoredIndex() {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("s"))) {
      assertThat(storage.snapshotIndex()).isZero();
      storage.saveSnapshotMeta(new SnapshotMeta(42, 3, ClusterConfig.ofVoters(List.of(1L))));
      assertThat(storage.snapshotIndex()).isEqualTo(42);
    }
  }

  private static Command put(String key, String value) {
    return Command.newBuilder()
        .setPut(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)))
        .build();
  }

  private static RangeRequest all() {
    return RangeRequest.newBuilder().setKey(bytes("\0")).setRangeEnd(bytes("\0")).build();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
