package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EndpointPoolTest {
  private final AtomicLong nowNanos = new AtomicLong(1_000);
  private final EndpointPool pool =
      new EndpointPool(
          List.of("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"),
          Duration.ofSeconds(1),
          1024,
          nowNanos::get);

  @AfterEach
  void close() {
    pool.close();
  }

  @Test
  void aFailedEndpointHandsNewRequestsToTheNext() {
    pool.markFailed(0);
    assertThat(pool.preferredIndex()).isEqualTo(1);

    pool.markFailed(0);
    assertThat(pool.preferredIndex()).as("another request already moved on").isEqualTo(1);
  }

  @Test
  void aSilentEndpointIsSkippedWhenMovingOnUntilItsTimeIsUp() {
    pool.markSilent(0);
    assertThat(pool.preferredIndex()).isEqualTo(1);

    pool.markFailed(1);
    assertThat(pool.preferredIndex()).isEqualTo(2);
    pool.markFailed(2);
    assertThat(pool.preferredIndex()).as("0 is avoided").isEqualTo(1);

    nowNanos.addAndGet(EndpointPool.AVOID_SILENT.toNanos() + 1);
    assertThat(pool.isAvoided(0)).isFalse();
    assertThat(pool.nextAfter(2)).isEqualTo(0);
  }

  @Test
  void whenEveryOtherEndpointIsAvoidedTheNextInOrderIsTried() {
    pool.markSilent(1);
    pool.markSilent(2);

    assertThat(pool.nextAfter(0)).isEqualTo(1);
    assertThat(pool.nextAfter(1)).isEqualTo(0);
  }

  @Test
  void anEndpointThatAnswersIsNoLongerAvoided() {
    pool.markSilent(0);
    pool.markWorking(0);

    assertThat(pool.isAvoided(0)).isFalse();
    assertThat(pool.preferredIndex()).isZero();
  }
}
