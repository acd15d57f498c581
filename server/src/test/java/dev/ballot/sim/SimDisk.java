package dev.ballot.sim;

import dev.ballot.node.LogWriter;
import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.SnapshotMeta;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * A node's disk as the driver's {@link LogWriter}: a Ready's writes are made at once (unsynced) and
 * the sync completes a random time later, in virtual time, so that a crash can fall between the
 * two. The sync is one of the node's {@link SimWal}: the state machine's earlier writes become
 * durable with it, as in the server.
 */
final class SimDisk implements LogWriter {
  /** Told of each write when it is made, and of its hard state once synced. */
  interface Listener {
    void written(List<Entry> entries);

    void synced(HardState hardState);
  }

  private final SimRaftStorage storage;
  private final SimRunner runner;
  private final Random random;
  private final int maxSyncMs;
  private final Listener listener;

  SimDisk(
      SimRaftStorage storage, SimRunner runner, Random random, int maxSyncMs, Listener listener) {
    this.storage = storage;
    this.runner = runner;
    this.random = random;
    this.maxSyncMs = maxSyncMs;
    this.listener = listener;
  }

  @Override
  public CompletableFuture<Void> writeDurably(
      SnapshotMeta snapshot, List<Entry> entries, HardState hardState) {
    storage.save(snapshot, entries, hardState, false);
    if (!entries.isEmpty()) {
      listener.written(entries);
    }
    CompletableFuture<Void> durable = new CompletableFuture<>();
    runner.afterIfAlive(
        random.nextInt(maxSyncMs + 1),
        () -> {
          storage.sync();
          if (hardState != null) {
            listener.synced(hardState);
          }
          durable.complete(null);
        });
    return durable;
  }
}
