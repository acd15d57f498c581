package dev.ballot.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.kv.proto.Command;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The compactor ticked by hand on a fake clock: which revision it compacts to, and when, in both of
 * etcd's modes; only a leader proposes, one compaction at a time, and a failed one is tried again.
 */
class AutoCompactorTest {
  private long nanos;
  private long revision = 1;
  private long compacted;
  private boolean leading = true;

  /** Proposed compaction revisions, in order. */
  private final List<Long> proposed = new ArrayList<>();

  /** What the next proposals answer; null applies them at once (the compact revision moves). */
  private CompletableFuture<Object> answer;

  private AutoCompactor compactor;

  @AfterEach
  void close() {
    if (compactor != null) {
      compactor.close();
    }
  }

  @Test
  void periodicModeCompactsToTheRevisionSampledOnePeriodAgo() {
    compactor = start(new AutoCompaction(AutoCompaction.Mode.PERIODIC, Duration.ofSeconds(10), 0));
    // A write every 200 ms: the revision at second s is 1 + 5 s.
    for (int second = 1; second <= 10; second++) {
      tickAt(second, 1 + 5L * second);
    }
    assertThat(proposed).as("nothing is a whole period old yet").isEmpty();

    tickAt(11, 56);
    assertThat(proposed).containsExactly(6L); // the sample of second 1
    for (int second = 12; second <= 30; second++) {
      tickAt(second, 1 + 5L * second);
      assertThat(proposed).last().isEqualTo(1 + 5L * (second - 10));
    }
    assertThat(compacted).isEqualTo(101);
    assertThat(proposed).as("one compaction a tick").hasSize(20);
  }

  @Test
  void periodicModeKeepsAtLeastThePeriodWhenTicksAreLateOrTheRevisionStands() {
    compactor = start(new AutoCompaction(AutoCompaction.Mode.PERIODIC, Duration.ofMinutes(1), 0));
    tickAt(0, 100);
    tickAt(30, 200);
    tickAt(59, 300);
    assertThat(proposed).isEmpty();
    // A pause: the next tick comes a minute later. The samples of 0 and 30 s are a period old,
    // the one of 59 s is not: keep from 200.
    tickAt(118, 400);
    assertThat(proposed).containsExactly(200L);
    tickAt(121, 400);
    assertThat(proposed).as("59 s is now a period old").containsExactly(200L, 300L);
    // Nothing written any more: once the target stops moving no compaction is proposed again.
    for (int second = 122; second <= 300; second += 10) {
      tickAt(second, 400);
    }
    assertThat(proposed).containsExactly(200L, 300L, 400L);
    assertThat(compacted).isEqualTo(400);
  }

  @Test
  void revisionModeKeepsTheLastRetentionRevisions() {
    compactor = start(new AutoCompaction(AutoCompaction.Mode.REVISION, Duration.ZERO, 100));
    tickAt(1, 50);
    tickAt(2, 100);
    assertThat(proposed).as("fewer than 100 revisions of history").isEmpty();
    tickAt(3, 101);
    tickAt(4, 250);
    assertThat(proposed).containsExactly(1L, 150L);
    tickAt(5, 250);
    assertThat(proposed).as("already compacted to 150").containsExactly(1L, 150L);
  }

  @Test
  void onlyTheLeaderProposesAndANewLeaderUsesTheSamplesItTookAsAFollower() {
    leading = false;
    compactor = start(new AutoCompaction(AutoCompaction.Mode.PERIODIC, Duration.ofSeconds(5), 0));
    for (int second = 1; second <= 20; second++) {
      tickAt(second, 10L * second);
    }
    assertThat(proposed).isEmpty();
    leading = true;
    tickAt(21, 210);
    assertThat(proposed).containsExactly(160L);
  }

  @Test
  void oneCompactionIsInFlightAtATimeAndAFailedOneIsTriedAgain() {
    compactor = start(new AutoCompaction(AutoCompaction.Mode.REVISION, Duration.ZERO, 10));
    answer = new CompletableFuture<>();
    tickAt(1, 20);
    tickAt(2, 30);
    tickAt(3, 40);
    assertThat(proposed).as("the first is not answered yet").containsExactly(10L);

    answer.completeExceptionally(new IllegalStateException("etcdserver: not leader"));
    answer = null;
    tickAt(4, 40);
    assertThat(proposed).containsExactly(10L, 30L);
    assertThat(compacted).isEqualTo(30);
  }

  @Test
  void aRetentionOfZeroIsOff() {
    assertThat(new AutoCompaction(AutoCompaction.Mode.PERIODIC, Duration.ZERO, 0).enabled())
        .isFalse();
    assertThat(new AutoCompaction(AutoCompaction.Mode.REVISION, Duration.ZERO, 0).enabled())
        .isFalse();
  }

  // ------------------------------------------------------------------ helpers

  private AutoCompactor start(AutoCompaction policy) {
    return new AutoCompactor(
        policy, () -> revision, () -> compacted, () -> leading, this::propose, () -> nanos, 1);
  }

  private CompletableFuture<?> propose(Command command) {
    assertThat(command.hasCompaction()).isTrue();
    long target = command.getCompaction().getRevision();
    assertThat(target).as("never at or behind the last compaction").isGreaterThan(compacted);
    assertThat(target).as("never past the current revision").isLessThanOrEqualTo(revision);
    proposed.add(target);
    if (answer != null) {
      return answer;
    }
    compacted = target;
    return CompletableFuture.completedFuture(null);
  }

  private void tickAt(long second, long revisionThen) {
    nanos = TimeUnit.SECONDS.toNanos(second);
    revision = revisionThen;
    compactor.tick();
  }
}
