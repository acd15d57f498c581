package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A disk nearly full raises NOSPACE as a database over the quota does, before a write fails. */
class SpaceQuotaTest {
  @TempDir Path dir;
  private RocksDbRaftStorage storage;
  private KvStore kv;
  private SpaceQuota quota;
  private final AtomicLong freeBytes = new AtomicLong(10L << 30);
  private final List<Command> proposed = new CopyOnWriteArrayList<>();

  @BeforeEach
  void open() {
    storage = RocksDbRaftStorage.open(dir.resolve("db"));
    kv = new KvStore(storage.db(), storage.kvFamilies());
    quota = new SpaceQuota(0, DbSize.of(storage, dir.resolve("db")), kv, 7, freeBytes::get);
    quota.start((command, applied) -> proposed.add(command));
  }

  @AfterEach
  void close() {
    quota.close();
    kv.close();
    storage.close();
  }

  @Test
  void aNearlyFullDiskRaisesNoSpaceForThisMember() {
    assertThat(quota.full()).isFalse();

    freeBytes.set(SpaceQuota.MIN_FREE_DISK_BYTES - 1);

    await().atMost(Duration.ofSeconds(5)).until(() -> !proposed.isEmpty());
    AlarmRequest raise = proposed.get(0).getAlarm();
    assertThat(raise.getAction()).isEqualTo(AlarmRequest.AlarmAction.ACTIVATE);
    assertThat(raise.getAlarm()).isEqualTo(AlarmType.NOSPACE);
    assertThat(raise.getMemberID()).isEqualTo(7);
    assertThat(quota.full()).as("writes refused before the alarm applies").isTrue();
  }
}
