package dev.ballot.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReadThreadsTest {
  @Test
  void runsEveryTaskOfBurstsFromManyThreads() throws Exception {
    int submitters = 4;
    int perSubmitter = 20_000;
    AtomicInteger ran = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(submitters * perSubmitter);
    try (ReadThreads reads = new ReadThreads("test-read-", 2, submitters * perSubmitter)) {
      Thread[] threads = new Thread[submitters];
      for (int i = 0; i < submitters; i++) {
        threads[i] =
            new Thread(
                () -> {
                  for (int n = 0; n < perSubmitter; n++) {
                    reads.execute(
                        () -> {
                          ran.incrementAndGet();
                          all.countDown();
                        });
                  }
                });
        threads[i].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(ran.get()).isEqualTo(submitters * perSubmitter);
  }

  @Test
  void refusesBeyondCapacityAndTakesMoreOnceTasksRan() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch bothBusy = new CountDownLatch(2);
    try (ReadThreads reads = new ReadThreads("test-read-", 2, 3)) {
      for (int i = 0; i < 2; i++) {
        reads.execute(
            () -> {
              bothBusy.countDown();
              await(release);
            });
      }
      assertThat(bothBusy.await(10, TimeUnit.SECONDS)).isTrue();
      CountDownLatch queuedRan = new CountDownLatch(3);
      for (int i = 0; i < 3; i++) {
        reads.execute(queuedRan::countDown);
      }
      assertThatThrownBy(() -> reads.execute(() -> {}))
          .isInstanceOf(RejectedExecutionException.class)
          .hasMessageContaining("3 reads are waiting");
      release.countDown();
      assertThat(queuedRan.await(10, TimeUnit.SECONDS)).isTrue();
      CountDownLatch later = new CountDownLatch(1);
      reads.execute(later::countDown);
      assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void refusesAfterClose() {
    ReadThreads reads = new ReadThreads("test-read-", 1, 10);
    reads.close();
    assertThatThrownBy(() -> reads.execute(() -> {}))
        .isInstanceOf(RejectedExecutionException.class);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
