package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NetworkThreadsTest {
  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(NetworkThreads.PROPERTY);
    System.clearProperty(NetworkThreads.PROPERTY);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(NetworkThreads.PROPERTY);
    } else {
      System.setProperty(NetworkThreads.PROPERTY, saved);
    }
  }

  @Test
  void zeroTakesHalfTheProcessorsUnlessThePropertyIsGiven() {
    NetworkThreads.apply(0);
    assertThat(System.getProperty(NetworkThreads.PROPERTY))
        .isEqualTo(Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / 2)));

    System.setProperty(NetworkThreads.PROPERTY, "3");
    NetworkThreads.apply(0);
    assertThat(System.getProperty(NetworkThreads.PROPERTY)).isEqualTo("3");
  }

  @Test
  void theDefaultIsHalfTheProcessorsAndAtLeastOne() {
    assertThat(NetworkThreads.byDefault(1)).isEqualTo(1);
    assertThat(NetworkThreads.byDefault(2)).isEqualTo(1);
    assertThat(NetworkThreads.byDefault(3)).isEqualTo(1);
    assertThat(NetworkThreads.byDefault(16)).isEqualTo(8);
  }

  @Test
  void aCountWinsOverTheProperty() {
    System.setProperty(NetworkThreads.PROPERTY, "3");
    NetworkThreads.apply(2);
    assertThat(System.getProperty(NetworkThreads.PROPERTY)).isEqualTo("2");
  }
}
