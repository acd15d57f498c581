package dev.ballot.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Linearizable reads waiting for the leader to confirm it still leads (thesis 6.4). Reads are
 * confirmed in rounds: a heartbeat carries a round number and a read is released once a quorum has
 * answered a round that was sent after the read arrived. While one round is in flight, new reads
 * wait for the next, so one round serves every read queued before it.
 */
final class ReadIndexQueue {
  record PendingRead(long context, long requester, long index, long round) {}

  /** The configuration in force now: it may change while reads wait. */
  private final Supplier<ClusterConfig> cluster;

  private final long leaderId;
  private final ArrayDeque<PendingRead> queue = new ArrayDeque<>();

  /** Highest round each voter other than the leader has answered. */
  private final TreeMap<Long, Long> ackedRounds = new TreeMap<>();

  private long lastRoundSent;
  private boolean nextRoundWanted;

  ReadIndexQueue(Supplier<ClusterConfig> cluster, long leaderId) {
    this.cluster = cluster;
    this.leaderId = leaderId;
  }

  /**
   * Queues a read at {@code index} (-1 if the leader has not committed in its term yet). Returns
   * the round to broadcast now, or 0 if none must be sent.
   */
  long add(long context, long requester, long index) {
    if (cluster.get().voters().equals(List.of(leaderId))) {
      queue.add(new PendingRead(context, requester, index, 0));
      return 0;
    }
    if (roundInFlight()) {
      queue.add(new PendingRead(context, requester, index, lastRoundSent + 1));
      nextRoundWanted = true;
      return 0;
    }
    lastRoundSent++;
    queue.add(new PendingRead(context, requester, index, lastRoundSent));
    return lastRoundSent;
  }

  /** Records a voter's answer to a round. Returns true if that may release reads. */
  boolean ack(long voter, long round) {
    if (!cluster.get().isVoter(voter) || round <= ackedRounds.getOrDefault(voter, 0L)) {
      return false;
    }
    ackedRounds.put(voter, round);
    return true;
  }

  /** The leader's first commit in its term is known: reads queued before it read there. */
  void commitIndexKnown(long index) {
    List<PendingRead> all = new ArrayList<>(queue);
    queue.clear();
    for (PendingRead r : all) {
      queue.add(r.index() >= 0 ? r : new PendingRead(r.context(), r.requester(), index, r.round()));
    }
  }

  /** Removes and returns, in arrival order, the reads a quorum has confirmed. */
  List<PendingRead> releasable() {
    long confirmed = confirmedRound();
    List<PendingRead> out = new ArrayList<>();
    while (!queue.isEmpty() && queue.peek().round() <= confirmed && queue.peek().index() >= 0) {
      out.add(queue.poll());
    }
    return out;
  }

  /** Starts the round reads are waiting for, once the previous one is confirmed. */
  long startNextRoundIfWanted() {
    if (!nextRoundWanted || roundInFlight()) {
      return 0;
    }
    nextRoundWanted = false;
    return ++lastRoundSent;
  }

  /** The round a periodic heartbeat carries; it starts the wanted round right away. */
  long roundForHeartbeat() {
    if (nextRoundWanted) {
      nextRoundWanted = false;
      lastRoundSent++;
    }
    return lastRoundSent;
  }

  private boolean roundInFlight() {
    return lastRoundSent > confirmedRound();
  }

  /** The highest round a quorum of voters (the leader included) has answered. */
  private long confirmedRound() {
    ClusterConfig config = cluster.get();
    List<Long> voters = config.voters();
    long[] rounds = new long[voters.size()];
    int i = 0;
    for (long voter : voters) {
      rounds[i++] = voter == leaderId ? lastRoundSent : ackedRounds.getOrDefault(voter, 0L);
    }
    Arrays.sort(rounds);
    return rounds[rounds.length - config.quorum()];
  }
}
