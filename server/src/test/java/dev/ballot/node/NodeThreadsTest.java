package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoop;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's runner: when a wake reaches the driver's thread. */
class NodeThreadsTest {
  /** A loop that counts its runs and otherwise sleeps for a minute. */
  private static final class CountingLoop implements WorkLoop {
    final AtomicInteger runs = new AtomicInteger();
    volatile boolean done;

    @Override
    public long runOnce() {
      runs.incrementAndGet();
      return TimeUnit.MINUTES.toNanos(1);
    }

    @Override
    public boolean isDone() {
      return done;
    }
  }

  /** Loops that park up to a minute: a run within seconds is a wake's. */
  private final NodeThreads threads = new NodeThreads(1, TimeUnit.MINUTES.toNanos(1));

  private final CountingLoop driver = new CountingLoop();
  private final CountingLoop applier = new CountingLoop();
  private final DefaultEventLoop network = new DefaultEventLoop();

  @AfterEach
  void stop() throws Exception {
    driver.done = true;
    applier.done = true;
    threads.wake(driver);
    threads.wake(applier);
    assertThat(threads.awaitStopped()).isTrue();
    network.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** Starts the loops and waits for their first runs, after which they sleep until woken. */
  private void started() {
    threads.start(driver, applier);
    await().until(() -> driver.runs.get() == 1 && applier.runs.get() == 1);
  }

  @Test
  void aWakeAfterBatchOffANetworkThreadWakesAtOnce() {
    started();

    threads.wakeAfterBatch(driver);

    await().atMost(Duration.ofSeconds(5)).until(() -> driver.runs.get() == 2);
  }

  @Test
  void onANetworkThreadTheDriverRunsOnceTheThreadsTaskIsDoneAndOnceForAllItsWakes()
      throws Exception {
    started();
    CountDownLatch taskDone = new CountDownLatch(1);
    AtomicInteger runsWhileTaskRan = new AtomicInteger(-1);
    AtomicInteger pendingAfterWakes = new AtomicInteger(-1);

    network.execute(
        () -> {
          for (int i = 0; i < 50; i++) {
            threads.wakeAfterBatch(driver); // fifty reads read from the connections at hand
          }
          pendingAfterWakes.set(network.pendingTasks());
          try {
            Thread.sleep(300); // the rest of the batch
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          runsWhileTaskRan.set(driver.runs.get());
          taskDone.countDown();
        });

    assertThat(taskDone.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(pendingAfterWakes.get()).as("one queued wake for the fifty").isEqualTo(1);
    assertThat(runsWhileTaskRan.get()).as("not woken while the batch ran").isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> driver.runs.get() == 2);
    // No more runs follow.
    network.submit(() -> {}).sync();
    Thread.sleep(200);
    assertThat(driver.runs.get()).isEqualTo(2);
  }

  @Test
  void aWakeQueuedOnANetworkThreadThatIsBlockedHoldsBackNoOtherThreadsWork() throws Exception {
    started();
    CountDownLatch queued = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // One network thread queues a wake behind the task it is in, which does not end.
    network.execute(
        () -> {
          threads.wakeAfterBatch(driver);
          queued.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    DefaultEventLoop other = new DefaultEventLoop();
    try {
      assertThat(queued.await(10, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(100);
      assertThat(driver.runs.get()).isEqualTo(1);

      other.submit(() -> threads.wakeAfterBatch(driver)).sync();

      await().atMost(Duration.ofSeconds(5)).until(() -> driver.runs.get() == 2);
    } finally {
      release.countDown();
      other.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
