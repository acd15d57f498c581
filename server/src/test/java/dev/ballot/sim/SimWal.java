package dev.ballot.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One node's write-ahead log, shared by the Raft log and the state machine's data as RocksDB's is
 * in the server: writes are ordered across both, a sync makes every earlier write durable, and a
 * power loss keeps the synced writes plus a random prefix of the rest, in that shared order. So a
 * state machine write that survives implies every log write before it survived too.
 */
final class SimWal {
  /** Who made a write. */
  enum Owner {
    RAFT_LOG,
    STATE_MACHINE
  }

  /** Unsynced writes, in the order they were made. */
  private final List<Owner> unsynced = new ArrayList<>();

  private final List<Runnable> onSync = new ArrayList<>();

  /** {@code listener} makes its owner's writes so far durable when the WAL syncs. */
  void onSync(Runnable listener) {
    onSync.add(listener);
  }

  void wrote(Owner owner) {
    unsynced.add(owner);
  }

  /** Makes every write so far durable, of both owners. */
  void sync() {
    unsynced.clear();
    onSync.forEach(Runnable::run);
  }

  /** What survives a crash: how many unsynced writes of each owner, a prefix of each. */
  record Survivors(int raftLog, int stateMachine) {}

  Survivors crash(Random random) {
    int cut = random.nextInt(unsynced.size() + 1);
    int raft = 0;
    int state = 0;
    for (Owner o : unsynced.subList(0, cut)) {
      if (o == Owner.RAFT_LOG) {
        raft++;
      } else {
        state++;
      }
    }
    unsynced.clear();
    return new Survivors(raft, state);
  }
}
