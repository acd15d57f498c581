package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.raft.Entry;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.storage.InMemoryRaftStorage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the apply thread falls behind, the driver refuses new writes ("too many requests") once the
 * committed entries waiting for it fill their byte budget, and never waits for it: it keeps ticking
 * and answering, which is what keeps a leader's heartbeats flowing.
 */
class DriverBackPressureTest {
  private static final int COMMAND_BYTES = 2 << 20;

  private final CountDownLatch applyGate = new CountDownLatch(1);
  private RaftDriver<Long> driver;

  /** Applies nothing until the gate opens. */
  private final class StalledStateMachine implements StateMachine<Long> {
    private volatile long appliedIndex;

    @Override
    public long appliedIndex() {
      return appliedIndex;
    }

    @Override
    public Long apply(Entry entry) {
      try {
        applyGate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      appliedIndex = entry.index();
      return appliedIndex;
    }

    @Override
    public void applyEmpty(long index) {
      appliedIndex = index;
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    applyGate.countDown();
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void aStalledApplyThreadGetsWritesRefusedWhileTheDriverKeepsAnswering() throws Exception {
    driver = SingleNodeDriver.start(new InMemoryRaftStorage(), new StalledStateMachine(), e -> {});
    long term = driver.status().term();

    List<CompletableFuture<Long>> accepted = new ArrayList<>();
    NodeException refusal = null;
    for (int i = 0; i < 200 && refusal == null; i++) {
      CompletableFuture<Long> write = driver.propose(new byte[COMMAND_BYTES]);
      // Committed at once (one voter), then stuck in front of the stalled apply thread.
      await().atMost(Duration.ofSeconds(10)).until(() -> write.isDone() || allCommitted());
      if (write.isCompletedExceptionally()) {
        refusal = cause(write);
      } else {
        accepted.add(write);
      }
    }

    assertThat(refusal).as("a write refused once the backlog is full").isNotNull();
    assertThat(refusal.kind()).isEqualTo(NodeException.Kind.OVERLOADED);
    assertThat(refusal.getMessage()).contains("waiting to be applied");
    assertThat((long) accepted.size() * COMMAND_BYTES)
        .isGreaterThanOrEqualTo(Applier.MAX_BACKLOG_BYTES)
        .isLessThan(Applier.MAX_BACKLOG_BYTES + 64L * 1024 * 1024);
    // The driver still runs its loop: it answers at once, and leads in the same term.
    assertThat(driver.call(RaftNode::role).get(1, TimeUnit.SECONDS)).isEqualTo(Role.LEADER);
    assertThat(driver.call(RaftNode::term).get(1, TimeUnit.SECONDS)).isEqualTo(term);

    applyGate.countDown();
    for (CompletableFuture<Long> write : accepted) {
      assertThat(write.get(10, TimeUnit.SECONDS)).isPositive();
    }
    assertThat(driver.propose(new byte[COMMAND_BYTES]).get(10, TimeUnit.SECONDS)).isPositive();
  }

  /** Every write so far is committed: the last one waits in front of the apply thread. */
  private boolean allCommitted() throws Exception {
    long commit = driver.call(RaftNode::commitIndex).get(1, TimeUnit.SECONDS);
    long last = driver.call(RaftNode::lastIndex).get(1, TimeUnit.SECONDS);
    return commit == last;
  }

  private static NodeException cause(CompletableFuture<Long> write) throws InterruptedException {
    try {
      write.get();
      throw new IllegalStateException("not refused");
    } catch (ExecutionException e) {
      return (NodeException) e.getCause();
    }
  }
}
