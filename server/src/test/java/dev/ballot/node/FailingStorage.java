package dev.ballot.node;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.InMemoryRaftStorage;
import dev.ballot.storage.RaftStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A disk that fails every write once told to, as a disk returning EIO on fdatasync does. */
final class FailingStorage implements RaftStorage {
  private final InMemoryRaftStorage disk = new InMemoryRaftStorage();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicInteger writesAfterFailure = new AtomicInteger();

  /** From now on every write fails. */
  void failWrites() {
    failing.set(true);
  }

  /** Writes attempted since {@link #failWrites()}, the failed ones included. */
  int writesAfterFailure() {
    return writesAfterFailure.get();
  }

  /** The entries that reached the disk. */
  List<Entry> entries() {
    return disk.entries();
  }

  private void maybeFail() {
    if (failing.get()) {
      writesAfterFailure.incrementAndGet();
      throw new DiskFailureException(
          "raft storage write", Path.of("/test/disk"), new IOException("Input/output error"));
    }
  }

  @Override
  public RestoredState load() {
    return disk.load();
  }

  @Override
  public List<Entry> read(long lo, long hi, long maxBytes) {
    return disk.read(lo, hi, maxBytes);
  }

  @Override
  public void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync) {
    maybeFail();
    disk.save(snapshot, entries, hardState, sync);
  }

  @Override
  public void saveSnapshotMeta(SnapshotMeta snapshot) {
    maybeFail();
    disk.saveSnapshotMeta(snapshot);
  }

  @Override
  public void compact(long index) {
    maybeFail();
    disk.compact(index);
  }

  @Override
  public void close() {}
}
