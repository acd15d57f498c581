package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * The apply thread's queue is bounded in bytes: once the committed entries waiting for it fill the
 * budget it says so (the driver then refuses proposals and incoming entries, never waits), and it
 * empties as entries are applied.
 */
class ApplierBacklogTest {
  /** Applies nothing until released; counts what it applied. */
  private static final class GatedStateMachine implements StateMachine<Long> {
    final CountDownLatch gate = new CountDownLatch(1);
    volatile long applied;

    @Override
    public long appliedIndex() {
      return applied;
    }

    @Override
    public Long apply(Entry entry) {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      applied = entry.index();
      return applied;
    }

    @Override
    public void applyEmpty(long index) {
      applied = index;
    }
  }

  @Test
  void committedBytesWaitingToBeAppliedFillTheBudgetAndDrainAsTheyApply() throws Exception {
    GatedStateMachine sm = new GatedStateMachine();
    NodeThreads threads = new NodeThreads(1);
    Applier<Long> applier = new Applier<>(sm, e -> {}, 0, s -> {}, threads);
    threads.start(new StoppedLoop(), applier);
    try {
      int entryBytes = 1536 * 1024;
      long index = 0;
      while (!applier.isBacklogFull()) {
        index++;
        applier.enqueue(List.of(new Entry(1, index, EntryType.NORMAL, new byte[entryBytes])));
      }

      // Each entry counts its payload and a fixed overhead, so empty entries are bounded too.
      long costBytes = entryBytes + Applier.ENTRY_OVERHEAD_BYTES;
      assertThat(index * costBytes).isGreaterThanOrEqualTo(Applier.MAX_BACKLOG_BYTES);
      assertThat(index * costBytes).isLessThan(Applier.MAX_BACKLOG_BYTES + costBytes);
      assertThat(applier.backlogBytes()).isEqualTo(index * costBytes);

      sm.gate.countDown();
      long last = index;
      await().atMost(Duration.ofSeconds(10)).until(() -> applier.appliedIndex() == last);
      assertThat(applier.isBacklogFull()).isFalse();
      assertThat(applier.backlogBytes()).isZero();
    } finally {
      sm.gate.countDown();
      applier.stop();
      assertThat(threads.awaitStopped()).isTrue();
    }
  }
}
