package dev.ballot.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.node.NodeStatus;
import dev.ballot.raft.Role;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the driver reports becomes Prometheus series with etcd-like meaning. */
class NodeMetersTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final NodeMeters meters = new NodeMeters(registry);

  private static NodeStatus status(Role role, long leader, long term) {
    return new NodeStatus(1, role, leader, term, 0, 0);
  }

  @Test
  void campaignsAreCountedAsTheCoreCountsThem() {
    meters.campaigns(3, 2, 1); // two pre-vote rounds failed, a split vote, then a win
    meters.campaigns(0, 0, 0);
    assertThat(registry.scrape())
        .contains("ballot_raft_prevotes_started_total 3.0")
        .contains("ballot_raft_elections_started_total 2.0")
        .contains("ballot_raft_elections_won_total 1.0");
  }

  @Test
  void aNewLeaderIsOneLeaderChangeAndListenersHearEachLeaderOrTerm() {
    List<NodeStatus> told = new ArrayList<>();
    meters.onLeaderOrTermChange(told::add);
    NodeStatus follower = status(Role.FOLLOWER, 2, 1);
    NodeStatus lost = status(Role.FOLLOWER, 0, 1);
    NodeStatus pre = status(Role.PRE_CANDIDATE, 0, 1);
    NodeStatus candidate = status(Role.CANDIDATE, 0, 2);
    NodeStatus leader = status(Role.LEADER, 1, 2);
    meters.statusChanged(null, follower);
    meters.statusChanged(follower, lost);
    meters.statusChanged(lost, pre);
    meters.statusChanged(pre, candidate);
    meters.statusChanged(candidate, leader);

    assertThat(registry.scrape()).contains("ballot_raft_leader_changes_total 1.0");
    assertThat(told).containsExactly(lost, candidate, leader);
  }

  @Test
  void commitsSyncsAndAppliesAreHistogramsInSeconds() {
    meters.proposed(3);
    meters.committed(TimeUnit.MILLISECONDS.toNanos(3));
    meters.committed(TimeUnit.MILLISECONDS.toNanos(5));
    meters.proposalFailed();
    meters.proposalsRefused(2);
    meters.logSynced(TimeUnit.MILLISECONDS.toNanos(1), 3);
    meters.applied(3, TimeUnit.MICROSECONDS.toNanos(300));

    String text = registry.scrape();
    assertThat(text)
        .contains("ballot_raft_proposals_total 3.0")
        .contains("ballot_raft_proposals_committed_total 2.0")
        .contains("ballot_raft_proposals_failed_total 1.0")
        .contains("ballot_raft_proposals_refused_total 2.0")
        .contains("ballot_raft_commit_duration_seconds_bucket{le=\"0.004\"} 1")
        .contains("ballot_raft_commit_duration_seconds_bucket{le=\"0.008\"} 2")
        .contains("ballot_raft_commit_duration_seconds_count 2")
        .contains("ballot_log_fsync_duration_seconds_count 1")
        .contains("ballot_log_fsync_batch_entries_count 1")
        .contains("ballot_apply_entries_total 3.0");
    assertThat(meters.takeApplied()).isEqualTo(3);
    assertThat(meters.takeApplied()).as("taken since the last call").isZero();
    assertThat(meters.takeCommitLatencies().getTotalCount()).isEqualTo(2);
    assertThat(meters.takeCommitLatencies().getTotalCount()).isZero();
  }

  @Test
  void snapshotsSentAreCountedByResult() {
    meters.snapshotTaken();
    meters.snapshotSent(true);
    meters.snapshotSent(false);
    meters.snapshotSent(false);
    assertThat(registry.scrape())
        .contains("ballot_snapshots_taken_total 1.0")
        .contains("ballot_snapshots_sent_total{result=\"ok\"} 1.0")
        .contains("ballot_snapshots_sent_total{result=\"failed\"} 2.0");
  }
}
