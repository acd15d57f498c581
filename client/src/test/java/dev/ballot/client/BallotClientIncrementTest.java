package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.client.fake.FakeEtcdServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BallotClientIncrementTest {
  private FakeEtcdServer server;
  private BallotClient client;

  @BeforeEach
  void start() {
    server = FakeEtcdServer.start();
    client =
        BallotClient.builder()
            .endpoints(server.endpoint())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void aMissingKeyCountsAsZeroAndTheSumIsWrittenAsDecimal() {
    IncrementResult first = client.increment("n", 5).join();
    IncrementResult second = client.increment("n", -7).join();

    assertThat(first.value()).isEqualTo(5);
    assertThat(second.value()).isEqualTo(-2);
    assertThat(second.revision()).isEqualTo(server.store().revision());
    assertThat(second.attempts()).isEqualTo(1);
    assertThat(client.get("n").join().orElseThrow().valueString()).isEqualTo("-2");
  }

  @Test
  void concurrentIncrementsAreAllCountedEachWithItsOwnValue() {
    List<CompletableFuture<IncrementResult>> increments = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      increments.add(client.increment("hits", 1));
    }

    List<Long> values = increments.stream().map(f -> f.join().value()).toList();

    assertThat(values).doesNotHaveDuplicates().hasSize(40).allMatch(v -> v >= 1 && v <= 40);
    assertThat(client.get("hits").join().orElseThrow().valueString()).isEqualTo("40");
  }

  @Test
  void aValueThatIsNotAnIntegerOrWouldOverflowIsRefusedAndNothingWritten() {
    client.put("word", "12a").join();
    client.put("max", Long.toString(Long.MAX_VALUE)).join();
    long revision = server.store().revision();

    assertThatThrownBy(() -> client.increment("word", 1).join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(NotACounterException.class)
        .hasMessage("the value of \"word\" is not a decimal integer: \"12a\"");
    assertThatThrownBy(() -> client.increment("max", 1).join())
        .cause()
        .isInstanceOf(NotACounterException.class)
        .hasMessageContaining("overflows");
    assertThat(server.store().revision()).isEqualTo(revision);
  }
}
