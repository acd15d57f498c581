package dev.ballot.sim;

import java.util.Random;

/**
 * One node's write-ahead log, which in the server holds the Raft log's writes only (the state
 * machine writes its column families without the WAL; see {@link KvSimStore}): a sync makes every
 * earlier write durable, and a power loss keeps the synced writes plus a random prefix of the rest.
 */
final class SimWal {
  /** Unsynced writes, in the order they were made. */
  private int unsynced;

  private Runnable onSync = () -> {};

  /** {@code listener} makes the log's writes so far durable when the WAL syncs. */
  void onSync(Runnable listener) {
    onSync = listener;
  }

  void wrote() {
    unsynced++;
  }

  /** Makes every write so far durable. */
  void sync() {
    unsynced = 0;
    onSync.run();
  }

  /** What survives a crash: how many of the unsynced writes, a prefix of them. */
  int crash(Random random) {
    int kept = random.nextInt(unsynced + 1);
    unsynced = 0;
    return kept;
  }
}
