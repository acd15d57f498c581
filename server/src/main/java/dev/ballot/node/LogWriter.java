package dev.ballot.node;

import dev.ballot.raft.Entry;
import dev.ballot.raft.HardState;
import dev.ballot.raft.SnapshotMeta;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Makes a Ready's log writes durable. The driver sends nothing that depends on them (a vote, an
 * acknowledgement) and applies nothing until the returned future completes; meanwhile it takes no
 * other input. A server syncs before returning ({@link #synced}); the simulation's disk completes
 * later in virtual time, so that a crash can fall between the write and the sync.
 */
@FunctionalInterface
public interface LogWriter {
  /**
   * Writes {@code snapshot}, {@code entries} and {@code hardState} in one atomic write (see {@link
   * dev.ballot.storage.RaftStorage#save}) and completes once they are durable.
   *
   * @throws RuntimeException if the write failed; nothing was acknowledged and the node stops
   */
  CompletableFuture<Void> writeDurably(
      SnapshotMeta snapshot, List<Entry> entries, HardState hardState);

  /** Writes and syncs on the calling thread: durable when it returns. */
  static LogWriter synced(dev.ballot.storage.RaftStorage storage) {
    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
    return (snapshot, entries, hardState) -> {
      storage.save(snapshot, entries, hardState, true);
      return done;
    };
  }
}
