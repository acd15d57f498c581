package dev.ballot.metrics;

import dev.ballot.node.NodeMetrics;
import dev.ballot.node.NodeStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's own meters, fed by the driver ({@link NodeMetrics}); Micrometer names them {@code
 * ballot.*} and the Prometheus registry writes {@code ballot_*} with units in the names. Besides
 * the registry it keeps what the dashboard charts each second: writes applied and the latency of
 * commits in the last second.
 */
public final class NodeMeters implements NodeMetrics {
  private static final Logger log = LoggerFactory.getLogger(NodeMeters.class);

  /** Bucket bounds of every latency histogram: 0.25 ms to 8 s, doubling. */
  static final Duration[] LATENCY_BUCKETS = buckets();

  private final Counter proposed;
  private final Counter refused;
  private final Counter committed;
  private final Counter failed;
  private final Timer commitDuration;
  private final Timer fsyncDuration;
  private final DistributionSummary syncBatch;
  private final DistributionSummary proposalBatch;
  private final Timer applyDuration;
  private final Counter appliedEntries;
  private final Counter leaderChanges;
  private final Counter preVotes;
  private final Counter elections;
  private final Counter electionsWon;
  private final Counter snapshotsTaken;
  private final Counter snapshotsInstalled;
  private final Counter snapshotsSent;
  private final Counter snapshotsSendFailed;

  private final LongAdder appliedForRate = new LongAdder();
  private final Recorder commitLatencyMicros = new Recorder(3);
  private final List<Consumer<NodeStatus>> leaderListeners = new CopyOnWriteArrayList<>();

  public NodeMeters(MeterRegistry registry) {
    proposed =
        Counter.builder("ballot.raft.proposals")
            .description("Commands this node, as leader, put into the log")
            .register(registry);
    refused =
        Counter.builder("ballot.raft.proposals.refused")
            .description("Proposals refused before reaching the log (no leader, overloaded)")
            .register(registry);
    committed =
        Counter.builder("ballot.raft.proposals.committed")
            .description("Proposals of this node applied after commit")
            .register(registry);
    failed =
        Counter.builder("ballot.raft.proposals.failed")
            .description(
                "Proposals of this node that ended unapplied (replaced, timed out, stopped)")
            .register(registry);
    commitDuration =
        latency("ballot.raft.commit.duration", "From a proposal on the leader to its apply")
            .register(registry);
    fsyncDuration =
        latency("ballot.log.fsync.duration", "One durable log write: entries, hard state, sync")
            .register(registry);
    syncBatch =
        DistributionSummary.builder("ballot.log.fsync.batch.entries")
            .description("Entries made durable by one sync")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
            .register(registry);
    proposalBatch =
        DistributionSummary.builder("ballot.raft.proposal.batch.commands")
            .description("Commands proposed together in one turn of the driver")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
            .register(registry);
    applyDuration =
        latency("ballot.apply.duration", "Applying one batch of committed entries")
            .register(registry);
    appliedEntries =
        Counter.builder("ballot.apply.entries")
            .description("Committed entries applied to the state machine")
            .register(registry);
    leaderChanges =
        Counter.builder("ballot.raft.leader.changes")
            .description("Times this node saw a new leader")
            .register(registry);
    preVotes =
        Counter.builder("ballot.raft.prevotes.started")
            .description("Pre-vote rounds this node started")
            .register(registry);
    elections =
        Counter.builder("ballot.raft.elections.started")
            .description("Elections this node started (as candidate, after a pre-vote)")
            .register(registry);
    electionsWon =
        Counter.builder("ballot.raft.elections.won")
            .description("Elections this node won")
            .register(registry);
    snapshotsTaken =
        Counter.builder("ballot.snapshots.taken").description("Snapshots taken").register(registry);
    snapshotsInstalled =
        Counter.builder("ballot.snapshots.installed")
            .description("Snapshots received from the leader and installed")
            .register(registry);
    snapshotsSent =
        Counter.builder("ballot.snapshots.sent")
            .description("Snapshots sent to followers")
            .tag("result", "ok")
            .register(registry);
    snapshotsSendFailed =
        Counter.builder("ballot.snapshots.sent")
            .description("Snapshots sent to followers")
            .tag("result", "failed")
            .register(registry);
  }

  static Timer.Builder latency(String name, String description) {
    return Timer.builder(name)
        .description(description)
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .publishPercentileHistogram(false);
  }

  private static Duration[] buckets() {
    Duration[] b = new Duration[16];
    long micros = 250;
    for (int i = 0; i < b.length; i++, micros *= 2) {
      b[i] = Duration.ofNanos(micros * 1000);
    }
    return b;
  }

  /** Told (on the driver thread; return at once) of every change of leader or term. */
  public void onLeaderOrTermChange(Consumer<NodeStatus> listener) {
    leaderListeners.add(listener);
  }

  public void removeLeaderListener(Consumer<NodeStatus> listener) {
    leaderListeners.remove(listener);
  }

  /** Entries applied since the last call. */
  public long takeApplied() {
    return appliedForRate.sumThenReset();
  }

  /** Commit latencies (microseconds) recorded since the last call. */
  public Histogram takeCommitLatencies() {
    return commitLatencyMicros.getIntervalHistogram();
  }

  @Override
  public void proposed(int count) {
    proposed.increment(count);
    proposalBatch.record(count);
  }

  @Override
  public void proposalsRefused(int count) {
    refused.increment(count);
  }

  @Override
  public void committed(long nanos) {
    committed.increment();
    commitDuration.record(nanos, TimeUnit.NANOSECONDS);
    commitLatencyMicros.recordValue(Math.max(0, nanos / 1000));
  }

  @Override
  public void proposalFailed() {
    failed.increment();
  }

  @Override
  public void logSynced(long nanos, int entries) {
    fsyncDuration.record(nanos, TimeUnit.NANOSECONDS);
    syncBatch.record(entries);
  }

  @Override
  public void applied(int entries, long nanos) {
    applyDuration.record(nanos, TimeUnit.NANOSECONDS);
    appliedEntries.increment(entries);
    appliedForRate.add(entries);
  }

  @Override
  public void statusChanged(NodeStatus before, NodeStatus after) {
    if (before == null) {
      return;
    }
    if (after.leaderId() != before.leaderId() && after.leaderId() != 0) {
      leaderChanges.increment();
    }
    if (after.leaderId() != before.leaderId() || after.term() != before.term()) {
      for (Consumer<NodeStatus> listener : leaderListeners) {
        try {
          listener.accept(after);
        } catch (RuntimeException e) {
          // Called on the driver thread: a listener's failure must never reach Raft.
          log.warn("leader listener failed error=\"{}\"", e.toString());
        }
      }
    }
  }

  @Override
  public void campaigns(long preVoteRounds, long started, long won) {
    preVotes.increment(preVoteRounds);
    elections.increment(started);
    electionsWon.increment(won);
  }

  @Override
  public void snapshotTaken() {
    snapshotsTaken.increment();
  }

  @Override
  public void snapshotInstalled() {
    snapshotsInstalled.increment();
  }

  @Override
  public void snapshotSent(boolean ok) {
    (ok ? snapshotsSent : snapshotsSendFailed).increment();
  }
}
