package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RaftTimingTest {

  @Test
  void aTickIsAFifthOfAHeartbeat() {
    assertThat(RaftTiming.of(50, 500)).isEqualTo(new RaftTiming(10, 50, 5));
    assertThat(RaftTiming.of(100, 1_000)).isEqualTo(new RaftTiming(20, 50, 5));
  }

  @Test
  void aHeartbeatShorterThanFiveMillisecondsTicksEveryMillisecond() {
    assertThat(RaftTiming.of(3, 9)).isEqualTo(new RaftTiming(1, 9, 3));
  }

  @Test
  void anElectionTimeoutBetweenTicksIsRoundedDownToWholeTicks() {
    assertThat(RaftTiming.of(50, 515).electionTicks()).isEqualTo(51);
  }

  @Test
  void anElectionTimeoutNotLongerThanAHeartbeatIsRefused() {
    assertThatThrownBy(() -> RaftTiming.of(100, 100)).isInstanceOf(IllegalArgumentException.class);
  }
}
