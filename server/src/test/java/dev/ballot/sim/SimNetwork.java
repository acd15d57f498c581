package dev.ballot.sim;

import dev.ballot.raft.Message;
import java.util.Random;

/**
 * The wire between simulated nodes: delays every message by a random amount (so messages reorder),
 * and on demand drops, duplicates, and cuts links in either direction.
 */
final class SimNetwork {
  /** A message in flight; a snapshot's data travels beside its InstallSnapshot. */
  record Envelope(Message message, Object snapshot) {}

  interface Scheduler {
    void deliverAt(long timeMs, Envelope envelope);

    /** A snapshot stream failed; the sender's transport learns it after {@code timeMs}. */
    void snapshotFailedAt(long timeMs, Message.InstallSnapshot snapshot);
  }

  private final Random random;
  private final Scheduler scheduler;
  private final boolean[][] cut;

  double dropRate;
  double duplicateRate;
  int maxDelayMs = 5;

  /** A network for nodes 1..maxNodeId, the ids a run may ever start. */
  SimNetwork(int maxNodeId, Random random, Scheduler scheduler) {
    this.random = random;
    this.scheduler = scheduler;
    this.cut = new boolean[maxNodeId + 1][maxNodeId + 1];
  }

  void send(long nowMs, Envelope e) {
    Message m = e.message();
    if (cut[(int) m.from()][(int) m.to()] || random.nextDouble() < dropRate) {
      if (m instanceof Message.InstallSnapshot is) {
        scheduler.snapshotFailedAt(nowMs + 1 + random.nextInt(maxDelayMs * 4), is);
      }
      return;
    }
    scheduler.deliverAt(nowMs + 1 + random.nextInt(maxDelayMs), e);
    if (random.nextDouble() < duplicateRate) {
      scheduler.deliverAt(nowMs + 1 + random.nextInt(maxDelayMs * 4), e);
    }
  }

  /** Whether a message from {@code from} to {@code to} sent now gets through (cuts, losses). */
  boolean passes(long from, long to) {
    return !cut[(int) from][(int) to] && random.nextDouble() >= dropRate;
  }

  /** Whether the link from {@code from} to {@code to} is up (it may still lose messages). */
  boolean linked(long from, long to) {
    return !cut[(int) from][(int) to];
  }

  /** How long a message that gets through takes. */
  int delayMs() {
    return 1 + random.nextInt(maxDelayMs);
  }

  /** A link cut while a message is in flight loses it, as a real link break loses packets. */
  boolean deliverable(Envelope e) {
    return !cut[(int) e.message().from()][(int) e.message().to()];
  }

  /** Cuts every link between {@code side} and the other nodes, both ways. */
  void partition(boolean[] side) {
    int[] group = new int[side.length];
    for (int i = 1; i < side.length; i++) {
      group[i] = side[i] ? 1 : 0;
    }
    split(group);
  }

  /** Cuts every link between nodes of different groups ({@code group[id]}), both ways. */
  void split(int[] group) {
    for (int a = 1; a < cut.length; a++) {
      for (int b = 1; b < cut.length; b++) {
        if (group[a] != group[b]) {
          cut[a][b] = true;
        }
      }
    }
  }

  /** Cuts the link from {@code from} to {@code to} only. */
  void cutOneWay(int from, int to) {
    cut[from][to] = true;
  }

  boolean hasCuts() {
    for (boolean[] row : cut) {
      for (boolean c : row) {
        if (c) {
          return true;
        }
      }
    }
    return false;
  }

  void healLinks() {
    for (boolean[] row : cut) {
      java.util.Arrays.fill(row, false);
    }
  }

  void calm() {
    dropRate = 0;
    duplicateRate = 0;
    maxDelayMs = 5;
  }
}
