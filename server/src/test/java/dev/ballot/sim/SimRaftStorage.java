package dev.ballot.sim;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.InMemoryRaftStorage;
import dev.ballot.storage.RaftStorage;
import java.util.List;

/**
 * The Raft log's storage on a node's {@link SimWal}: {@link InMemoryRaftStorage}, with each write
 * placed in the order shared with the state machine's, and each sync made a sync of the whole WAL.
 */
final class SimRaftStorage implements RaftStorage {
  private final InMemoryRaftStorage disk = new InMemoryRaftStorage();
  private final SimWal wal;

  SimRaftStorage(SimWal wal) {
    this.wal = wal;
    wal.onSync(disk::sync);
  }

  @Override
  public RestoredState load() {
    return disk.load();
  }

  @Override
  public void save(SnapshotMeta snapshot, List<Entry> entries, HardState hardState, boolean sync) {
    disk.save(snapshot, entries, hardState, false);
    wal.wrote();
    if (sync) {
      sync();
    }
  }

  @Override
  public void saveSnapshotMeta(SnapshotMeta snapshot) {
    disk.saveSnapshotMeta(snapshot); // a synced write: every earlier one is durable too
    wal.sync();
  }

  @Override
  public List<Entry> read(long lo, long hi, long maxBytes) {
    return disk.read(lo, hi, maxBytes);
  }

  @Override
  public void compact(long index) {
    disk.compact(index);
    wal.wrote();
  }

  void sync() {
    wal.sync();
  }

  /** Keeps the first {@code keepUnsynced} writes made since the last sync. */
  void crash(int keepUnsynced) {
    disk.crash(keepUnsynced);
  }

  @Override
  public void close() {}
}
