package dev.ballot.api;

import dev.ballot.cluster.WriteQuota;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmType;
import dev.ballot.kv.Alarms;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's space quota ({@code --quota-backend-bytes}): once this node's database is larger than the
 * quota, or its disk has less than {@link #MIN_FREE_DISK_BYTES} free, it raises the NOSPACE alarm
 * for itself through the Raft log, so that every node refuses writes that add data (put, txn with a
 * put) until an operator frees space and disarms it. Deletes and reads go on. The size is checked
 * every {@link #CHECK_INTERVAL_MS} on the {@code quota-ID} thread; a disarmed alarm is raised again
 * at the next check if the database is still too large.
 */
final class SpaceQuota implements WriteQuota, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpaceQuota.class);

  /** etcd's default quota, 2 GiB. */
  static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;

  static final long CHECK_INTERVAL_MS = 500;

  /**
   * Free space the file system of the data directory keeps at least: below it the node raises
   * NOSPACE as if over the quota, so that a disk filling up (by this node or anything else) gives
   * clients etcd's "database space exceeded" rather than a failed write that stops the node. It
   * covers what may be in flight when the alarm is raised (up to 64 MiB of uncommitted entries); a
   * disk that fills faster than the alarm spreads still fails a write, which stops the node.
   */
  static final long MIN_FREE_DISK_BYTES = 64L << 20;

  private final long quotaBytes;
  private final LongSupplier dbSizeBytes;
  private final KvStore kv;
  private final long memberId;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean raising = new AtomicBoolean();
  private final LongSupplier freeDiskBytes;
  private volatile long sizeBytes;
  private volatile long freeBytes;

  /**
   * @param quotaBytes the quota; 0 means etcd's default
   */
  SpaceQuota(long quotaBytes, RocksDbRaftStorage storage, Path dbDir, KvStore kv, long memberId) {
    this(quotaBytes, DbSize.of(storage, dbDir), kv, memberId, () -> usableBytes(dbDir));
  }

  /**
   * @param dbSizeBytes measures the database's size ({@link DbSize})
   * @param freeDiskBytes the free space of the file system the data directory is on
   */
  SpaceQuota(
      long quotaBytes,
      LongSupplier dbSizeBytes,
      KvStore kv,
      long memberId,
      LongSupplier freeDiskBytes) {
    if (quotaBytes < 0) {
      throw new IllegalArgumentException("negative quota " + quotaBytes);
    }
    this.quotaBytes = quotaBytes == 0 ? DEFAULT_QUOTA_BYTES : quotaBytes;
    this.dbSizeBytes = dbSizeBytes;
    this.kv = kv;
    this.memberId = memberId;
    this.freeDiskBytes = freeDiskBytes;
    this.sizeBytes = dbSizeBytes.getAsLong();
    this.freeBytes = freeDiskBytes.getAsLong();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "quota-" + memberId);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts checking the size; {@code propose} sends an alarm command through the log and calls back
   * (on any thread) with true once it is applied, false if it failed.
   */
  void start(BiConsumer<Command, Consumer<Boolean>> propose) {
    timer.scheduleWithFixedDelay(
        () -> check(propose), CHECK_INTERVAL_MS, CHECK_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  long quotaBytes() {
    return quotaBytes;
  }

  /**
   * Whether {@code command} is refused for lack of space: it adds data and the NOSPACE alarm is
   * raised, or this node's database is over the quota (the alarm is then on its way).
   */
  @Override
  public boolean refuses(Command command) {
    return Alarms.addsData(command) && full();
  }

  /**
   * Whether the NOSPACE alarm is raised, this node's database is over the quota, or its disk is
   * nearly full.
   */
  @Override
  public boolean full() {
    return kv.alarms().noSpace() || overLimit(sizeBytes, freeBytes);
  }

  private boolean overLimit(long size, long free) {
    return size > quotaBytes || free < MIN_FREE_DISK_BYTES;
  }

  private static long usableBytes(Path dbDir) {
    try {
      return Files.getFileStore(dbDir).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException("free space of " + dbDir, e);
    }
  }

  /** The database's size on disk as last measured (every {@link #CHECK_INTERVAL_MS}). */
  long sizeBytes() {
    return sizeBytes;
  }

  private void check(BiConsumer<Command, Consumer<Boolean>> propose) {
    try {
      long size = dbSizeBytes.getAsLong();
      long free = freeDiskBytes.getAsLong();
      sizeBytes = size;
      freeBytes = free;
      if (!overLimit(size, free)
          || kv.alarms().contains(memberId, AlarmType.NOSPACE)
          || !raising.compareAndSet(false, true)) {
        return;
      }
      log.warn(
          "database space exceeded, raising the NOSPACE alarm member={} dbSizeBytes={}"
              + " quotaBytes={} freeDiskBytes={} minFreeDiskBytes={}",
          memberId,
          size,
          quotaBytes,
          free,
          MIN_FREE_DISK_BYTES);
      Command raise =
          Command.newBuilder()
              .setAlarm(
                  AlarmRequest.newBuilder()
                      .setAction(AlarmRequest.AlarmAction.ACTIVATE)
                      .setMemberID(memberId)
                      .setAlarm(AlarmType.NOSPACE))
              .build();
      propose.accept(raise, applied -> raising.set(false));
    } catch (RuntimeException e) {
      raising.set(false);
      log.warn("space quota check failed error=\"{}\"", e.toString());
    }
  }

  /** Stops the checks and waits for one in progress, which may be measuring the storage. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("space quota check still running after 5 s member={}", memberId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
