package dev.ballot.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.raft.Entry;
import dev.ballot.storage.DiskFailureException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failed write or sync stops the node at once: the write is never retried, nothing written after
 * it is acknowledged, and the driver stops taking requests. The same holds for a failed write of
 * the state machine on the apply thread.
 */
class DiskFailureFencingTest {

  private final FailingStorage storage = new FailingStorage();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();
  private final List<String> applied = new CopyOnWriteArrayList<>();
  private RaftDriver<String> driver;

  /** Applies a command by recording it; "disk-error" fails as a full disk would. */
  private final class RecordingStateMachine implements StateMachine<String> {
    private volatile long appliedIndex;

    @Override
    public long appliedIndex() {
      return appliedIndex;
    }

    @Override
    public String apply(Entry entry) {
      String command = new String(entry.data(), UTF_8);
      if (command.equals("disk-error")) {
        throw new DiskFailureException(
            "kv apply of index " + entry.index(),
            Path.of("/test/disk"),
            new IOException("No space left on device"));
      }
      applied.add(command);
      appliedIndex = entry.index();
      return command;
    }

    @Override
    public void applyEmpty(long index) {
      appliedIndex = index;
    }
  }

  private void startSingleNode() {
    driver = SingleNodeDriver.start(storage, new RecordingStateMachine(), fatal::set);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (driver != null) {
      driver.close();
    }
  }

  private String put(String command) throws Exception {
    return driver.propose(command.getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
  }

  @Test
  void failedSyncStopsTheNodeWithoutRetryOrAcknowledgement() throws Exception {
    startSingleNode();
    assertThat(put("before")).isEqualTo("before");

    storage.failWrites();
    CompletableFuture<String> during = driver.propose("during".getBytes(UTF_8));

    await().atMost(Duration.ofSeconds(10)).until(during::isDone);
    assertThat(during).isCompletedExceptionally();
    assertThat(fatal.get()).isInstanceOf(DiskFailureException.class);
    // The failed write was the last: no retry, nothing further persisted or applied.
    assertThat(storage.writesAfterFailure()).isEqualTo(1);
    assertThat(storage.entries())
        .extracting(e -> new String(e.data(), UTF_8))
        .doesNotContain("during");
    assertThat(applied).containsExactly("before");

    CompletableFuture<String> after = driver.propose("after".getBytes(UTF_8));
    await().atMost(Duration.ofSeconds(10)).until(after::isDone);
    assertThat(after).isCompletedExceptionally();
    assertThat(storage.writesAfterFailure()).isEqualTo(1);
    assertThat(applied).containsExactly("before");
  }

  @Test
  void failedApplyWriteStopsTheDriverToo() throws Exception {
    startSingleNode();
    assertThat(put("before")).isEqualTo("before");

    CompletableFuture<String> failing = driver.propose("disk-error".getBytes(UTF_8));
    await().atMost(Duration.ofSeconds(10)).until(failing::isDone);
    assertThat(failing).isCompletedExceptionally();
    assertThat(fatal.get()).isInstanceOf(DiskFailureException.class);

    // The driver stops as well: later proposals are refused, never written nor applied.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              CompletableFuture<String> later = driver.propose("later".getBytes(UTF_8));
              return later.handle((r, t) -> t != null).get(10, TimeUnit.SECONDS);
            });
    int entriesAfterStop = storage.entries().size();
    CompletableFuture<String> refused = driver.propose("refused".getBytes(UTF_8));
    await().atMost(Duration.ofSeconds(10)).until(refused::isDone);
    assertThat(refused).isCompletedExceptionally();
    assertThat(storage.entries()).hasSize(entriesAfterStop);
    assertThat(applied).containsExactly("before");
  }
}
