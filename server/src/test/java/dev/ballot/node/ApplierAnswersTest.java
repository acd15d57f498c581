package dev.ballot.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/**
 * A state machine may hold an entry's writes back until the batch ends ({@link
 * StateMachine#endBatch}): the apply loop answers a proposal once its entry is written, never
 * before, and what was written is answered even if a later entry stops the node.
 */
class ApplierAnswersTest {
  /**
   * Holds every entry's write back until the batch ends, except an entry "now", which writes what
   * waits and itself; an entry "fail" throws. Notes, at each apply and batch end, which proposals
   * were answered by then.
   */
  private static final class HoldingStateMachine implements StateMachine<String> {
    final Map<Long, CompletableFuture<String>> futures = new ConcurrentHashMap<>();
    final List<String> seen = new ArrayList<>();
    final CountDownLatch slowGate = new CountDownLatch(1);
    volatile long written;
    long applied;
    LongConsumer onWritten = index -> {};

    @Override
    public void onWritten(LongConsumer written) {
      this.onWritten = written;
    }

    @Override
    public long appliedIndex() {
      return written;
    }

    @Override
    public String apply(Entry entry) {
      seen.add("apply " + entry.index() + " answered " + answered());
      String data = new String(entry.data(), UTF_8);
      if (data.equals("fail")) {
        throw new IllegalStateException("a failing entry");
      }
      if (data.equals("slow")) { // writes what waits, tells so, then takes long (a delete in parts)
        written = applied;
        onWritten.accept(written);
        try {
          slowGate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      applied = entry.index();
      if (data.equals("now")) {
        written = applied;
      }
      return "result " + entry.index();
    }

    @Override
    public void endBatch() {
      seen.add("end answered " + answered());
      written = applied;
    }

    @Override
    public void applyEmpty(long index) {
      applied = index;
      written = index;
    }

    private List<Long> answered() {
      return futures.entrySet().stream()
          .filter(e -> e.getValue().isDone())
          .map(Map.Entry::getKey)
          .sorted()
          .toList();
    }
  }

  private static Entry entry(long index, String data) {
    return new Entry(1, index, EntryType.NORMAL, data.getBytes(UTF_8));
  }

  private record Node(HoldingStateMachine sm, Applier<String> applier, NodeThreads threads) {}

  private static Node start(AtomicReference<Throwable> fatal) {
    HoldingStateMachine sm = new HoldingStateMachine();
    NodeThreads threads = new NodeThreads(1);
    Applier<String> applier = new Applier<>(sm, fatal::set, 0, s -> {}, threads);
    threads.start(new StoppedLoop(), applier);
    return new Node(sm, applier, threads);
  }

  private static CompletableFuture<String> propose(Node node, long index) {
    CompletableFuture<String> future = new CompletableFuture<>();
    node.sm().futures.put(index, future);
    node.applier().expect(index, 1, future, 0);
    return future;
  }

  @Test
  void aProposalIsAnsweredOnlyOnceItsEntryIsWritten() throws Exception {
    Node node = start(new AtomicReference<>());
    try {
      CompletableFuture<String> first = propose(node, 1);
      CompletableFuture<String> second = propose(node, 2);

      node.applier().enqueue(List.of(entry(1, "a"), entry(2, "b")));

      assertThat(second.get()).isEqualTo("result 2");
      assertThat(first.get()).isEqualTo("result 1");
      assertThat(node.sm().seen)
          .containsExactly("apply 1 answered []", "apply 2 answered []", "end answered []");
    } finally {
      node.applier().stop();
      assertThat(node.threads().awaitStopped()).isTrue();
    }
  }

  @Test
  void whatAnEntryWritesBeforeItTakesLongIsAnsweredMeanwhile() throws Exception {
    Node node = start(new AtomicReference<>());
    try {
      CompletableFuture<String> first = propose(node, 1);
      CompletableFuture<String> slow = propose(node, 2);

      node.applier().enqueue(List.of(entry(1, "a"), entry(2, "slow")));

      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("result 1");
      assertThat(slow).isNotDone();
      node.sm().slowGate.countDown();
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo("result 2");
    } finally {
      node.sm().slowGate.countDown();
      node.applier().stop();
      assertThat(node.threads().awaitStopped()).isTrue();
    }
  }

  @Test
  void whatWasWrittenIsAnsweredAtOnceAndKeptIfALaterEntryStopsTheNode() throws Exception {
    AtomicReference<Throwable> fatal = new AtomicReference<>();
    Node node = start(fatal);
    try {
      CompletableFuture<String> first = propose(node, 1);
      CompletableFuture<String> second = propose(node, 2);
      CompletableFuture<String> third = propose(node, 3);
      CompletableFuture<String> fourth = propose(node, 4);

      node.applier()
          .enqueue(List.of(entry(1, "a"), entry(2, "now"), entry(3, "b"), entry(4, "fail")));

      await().atMost(Duration.ofSeconds(10)).until(() -> fatal.get() != null);
      assertThat(first).isCompletedWithValue("result 1");
      assertThat(second).isCompletedWithValue("result 2");
      assertThat(node.sm().seen)
          .containsExactly(
              "apply 1 answered []",
              "apply 2 answered []",
              "apply 3 answered [1, 2]",
              "apply 4 answered [1, 2]");
      // Entry 3 was applied but never written: the node stops, and its proposal fails.
      assertThat(third).isCompletedExceptionally();
      assertThat(fourth).isCompletedExceptionally();
      assertThat(causeOf(third)).isInstanceOf(NodeException.class);
    } finally {
      node.applier().stop();
      assertThat(node.threads().awaitStopped()).isTrue();
    }
  }

  private static Throwable causeOf(CompletableFuture<?> future) {
    try {
      future.get();
      throw new AssertionError("completed normally");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
