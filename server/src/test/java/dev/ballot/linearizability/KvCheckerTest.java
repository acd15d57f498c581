package dev.ballot.linearizability;

import static dev.ballot.linearizability.KvOp.cas;
import static dev.ballot.linearizability.KvOp.casMismatch;
import static dev.ballot.linearizability.KvOp.get;
import static dev.ballot.linearizability.KvOp.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The key-value checker on small histories whose answer is known, and on long generated ones. Times
 * are small integers on one clock: [invoked..completed].
 */
class KvCheckerTest {

  // ---- histories that are not linearizable ---------------------------------------------------

  @Test
  void staleReadAfterCompletedWriteIsRejected() {
    Verdict verdict =
        KvChecker.check(
            List.of(put(1, "k", "a", 0, 1), put(1, "k", "b", 2, 3), get(2, "k", "a", 4, 5)));

    assertRejected(verdict, "key k", "c2 get(k) = a");
  }

  @Test
  void lostAcknowledgedWriteIsRejected() {
    Verdict verdict =
        KvChecker.check(
            List.of(put(1, "k", "a", 0, 1), get(2, "k", null, 2, 3), get(3, "k", null, 4, 5)));

    assertRejected(verdict, "key k", "c2 get(k) = null");
  }

  @Test
  void twoCompareAndSwapsFromTheSameOldValueCannotBothSucceed() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                cas(2, "k", "a", "b", 2, 10),
                cas(3, "k", "a", "c", 3, 11)));

    assertRejected(verdict, "key k", "cas(k, a -> ");
  }

  @Test
  void readOfValueNeverWrittenIsRejected() {
    Verdict verdict = KvChecker.check(List.of(put(1, "k", "a", 0, 1), get(2, "k", "zzz", 2, 3)));

    assertRejected(verdict, "key k", "read a value no op wrote", "c2 get(k) = zzz");
  }

  @Test
  void readGoingBackInTimeAcrossTwoClientsIsRejected() {
    // b is written while c3 and c4 read one after the other: once c3 saw b, c4 cannot see a.
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                put(2, "k", "b", 2, 20),
                get(3, "k", "b", 3, 4),
                get(4, "k", "a", 5, 6)));

    assertRejected(verdict, "key k", "c4 get(k) = a");
  }

  @Test
  void failedWriteThatTookEffectIsRejected() {
    Verdict verdict =
        KvChecker.check(List.of(put(1, "k", "a", 0, 1).failed(1), get(2, "k", "a", 2, 3)));

    assertRejected(verdict, "key k", "written only by an op reported failed");
  }

  @Test
  void unknownWriteCannotTakeEffectBeforeItsInvocation() {
    Verdict verdict =
        KvChecker.check(List.of(get(1, "k", "a", 0, 1), put(2, "k", "a", 5, 6).unknown()));

    assertRejected(verdict, "key k", "c1 get(k) = a");
  }

  @Test
  void compareAndSwapThatFoundTheExpectedValueCannotMismatch() {
    Verdict verdict =
        KvChecker.check(List.of(put(1, "k", "a", 0, 1), casMismatch(2, "k", "a", "b", "a", 2, 3)));

    assertRejected(verdict, "key k", "mismatch, found a");
  }

  @Test
  void compareAndSwapOnAbsentKeyNeverSwaps() {
    Verdict verdict =
        KvChecker.check(List.of(put(1, "k", "a", 0, 1).failed(1), cas(2, "k", "a", "b", 2, 3)));

    assertRejected(verdict, "key k");
  }

  @Test
  void onlyTheKeyThatFailsIsNamed() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "good", "a", 0, 1),
                get(2, "good", "a", 2, 3),
                put(1, "bad", "x", 4, 5),
                put(1, "bad", "y", 6, 7),
                get(2, "bad", "x", 8, 9)));

    assertRejected(verdict, "key bad", "c2 get(bad) = x", "c1 put(bad, y) ok [6..7]");
    assertThat(verdict.explanation()).doesNotContain("key good");
  }

  // ---- histories that are linearizable --------------------------------------------------------

  @Test
  void concurrentWritesMayBeSeenInEitherOrder() {
    List<KvOp> bFirst =
        List.of(
            put(1, "k", "a", 0, 10),
            put(2, "k", "b", 0, 10),
            get(3, "k", "b", 1, 2),
            get(3, "k", "a", 3, 4),
            get(4, "k", "a", 11, 12));
    List<KvOp> aFirst =
        List.of(
            put(1, "k", "a", 0, 10),
            put(2, "k", "b", 0, 10),
            get(3, "k", "a", 1, 2),
            get(3, "k", "b", 3, 4),
            get(4, "k", "b", 11, 12));

    assertThat(KvChecker.check(bFirst).linearizable()).isTrue();
    assertThat(KvChecker.check(aFirst).linearizable()).isTrue();
  }

  @Test
  void unknownWriteMayTakeEffectLongAfterItsInvocation() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                put(2, "k", "b", 2, 3).unknown(),
                get(3, "k", "a", 10, 11),
                put(1, "k", "c", 12, 13),
                get(3, "k", "c", 14, 15),
                get(3, "k", "b", 100, 101)));

    assertThat(verdict.linearizable()).as(verdict.explanation()).isTrue();
  }

  @Test
  void unknownWriteMayNeverTakeEffect() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                put(2, "k", "b", 2, 3).unknown(),
                cas(2, "k", "a", "c", 4, 5).unknown(),
                get(3, "k", "a", 10, 11),
                get(3, "k", "a", 100, 101)));

    assertThat(verdict.linearizable()).as(verdict.explanation()).isTrue();
  }

  @Test
  void unknownCompareAndSwapThatTookEffectNeedsItsExpectedValue() {
    // c only exists if the unknown cas b -> c swapped, which needs the unknown put of b first.
    List<KvOp> history =
        List.of(
            put(1, "k", "a", 0, 1),
            put(2, "k", "b", 2, 3).unknown(),
            cas(2, "k", "b", "c", 4, 5).unknown(),
            get(3, "k", "c", 10, 11));
    assertThat(KvChecker.check(history).linearizable()).isTrue();

    List<KvOp> bFailed = new ArrayList<>(history);
    bFailed.set(1, put(2, "k", "b", 2, 3).failed(3));
    assertRejected(KvChecker.check(bFailed), "key k", "c3 get(k) = c");
  }

  @Test
  void compareAndSwapMismatchReadsTheValueItFound() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                put(2, "k", "b", 2, 3),
                casMismatch(1, "k", "a", "c", "b", 4, 5),
                cas(2, "k", "b", "d", 6, 7),
                get(1, "k", "d", 8, 9)));

    assertThat(verdict.linearizable()).as(verdict.explanation()).isTrue();
  }

  @Test
  void definitelyFailedOpsTakeNoEffect() {
    Verdict verdict =
        KvChecker.check(
            List.of(
                put(1, "k", "a", 0, 1),
                put(2, "k", "b", 2, 3).failed(3),
                cas(2, "k", "a", "c", 4, 5).failed(5),
                get(3, "k", "a", 10, 11)));

    assertThat(verdict.linearizable()).as(verdict.explanation()).isTrue();
  }

  @Test
  void aValueWrittenTwiceIsABadHistoryNotAVerdict() {
    assertThatThrownBy(
            () -> KvChecker.check(List.of(put(1, "k", "a", 0, 1), put(2, "k", "a", 2, 3))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("written twice");
  }

  // ---- long histories -------------------------------------------------------------------------

  @Test
  @Timeout(60)
  void longConcurrentHistoryWithUnknownOutcomesIsCheckedQuickly() {
    List<KvOp> history = GeneratedHistory.linearizable(42, 8, 4, 16_000);

    long startNanos = System.nanoTime();
    Verdict verdict = KvChecker.check(history);
    long tookMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(verdict.linearizable()).as(verdict.explanation()).isTrue();
    System.out.printf(
        "checked %d ops on 4 keys in %d ms, %d states%n",
        history.size(), tookMs, verdict.statesExplored());
  }

  @Test
  @Timeout(60)
  void staleReadAtTheEndOfALongHistoryIsFound() {
    List<KvOp> history = new ArrayList<>(GeneratedHistory.linearizable(7, 8, 1, 4_000));
    long end = history.stream().mapToLong(KvOp::invokedAt).max().orElseThrow() + 10_000;
    history.add(put(99, "k0", "final-1", end, end + 1));
    history.add(put(99, "k0", "final-2", end + 2, end + 3));
    history.add(get(98, "k0", "final-1", end + 4, end + 5));

    assertRejected(KvChecker.check(history), "key k0", "c98 get(k0) = final-1");
  }

  @Test
  void searchGivesUpPastItsBound() {
    List<KvOp> history = GeneratedHistory.linearizable(3, 8, 1, 2_000);

    Verdict verdict = KvChecker.check(history, 10);

    assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.UNDECIDED);
    assertThat(verdict.explanation()).contains("gave up after 10 states");
  }

  private static void assertRejected(Verdict verdict, String... excerpts) {
    assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.NOT_LINEARIZABLE);
    assertThat(verdict.explanation()).contains(excerpts);
  }
}
