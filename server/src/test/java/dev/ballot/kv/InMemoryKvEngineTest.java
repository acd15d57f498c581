package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine contract, and the crash model the simulation relies on. */
class InMemoryKvEngineTest extends KvEngineContractTest {
  private static final int SEEDS = 200;
  private static final byte[] NO_KEY = new byte[0];

  @Override
  KvStoreDisk newDisk(Path dir) {
    return KvStoreDisk.inMemory();
  }

  private InMemoryKvEngine memory() {
    return (InMemoryKvEngine) engine;
  }

  @Test
  void aWriteRefusesABatchWhoseArraysChangedAfterTheyWereAdded() {
    byte[] value = "1".getBytes();
    try (KvBatch batch = engine.newBatch()) {
      batch.put(KvSpace.DATA, "a".getBytes(), value);
      value[0] = '2'; // RocksDB's batch would write "2": the caller broke KvBatch's contract

      assertThatThrownBy(() -> engine.write(batch, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("changed after it was added");
    }
    assertThat(engine.live().get(KvSpace.DATA, "a".getBytes())).isNull();
  }

  @Test
  void afterASyncACrashLosesNothing() {
    for (int seed = 0; seed < SEEDS; seed++) {
      InMemoryKvEngine engine = new InMemoryKvEngine();
      writeNumbered(engine, 0, 5);
      engine.sync();

      assertThat(engine.crash(new Random(seed))).isZero();

      assertThat(numbersIn(engine)).as("seed %d", seed).isEqualTo(5);
    }
  }

  /**
   * Batch i puts key {@code k<i>} and moves the data space's {@code last} and the meta space's
   * {@code applied} to i, so a half-kept batch or a gap would show.
   */
  @Test
  void aCrashKeepsAPrefixOfTheUnsyncedBatchesEachWhole() {
    Set<Integer> keptCounts = new HashSet<>();
    for (int seed = 0; seed < SEEDS; seed++) {
      InMemoryKvEngine engine = new InMemoryKvEngine();
      writeNumbered(engine, 0, 3);
      engine.sync();
      writeNumbered(engine, 3, 8);

      int kept = engine.crash(new Random(seed));

      int survivors = numbersIn(engine);
      assertThat(survivors).as("seed %d", seed).isEqualTo(3 + kept);
      keptCounts.add(kept);
    }
    // Possibly none, possibly all: every prefix length happens across the seeds.
    assertThat(keptCounts).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
  }

  @Test
  void whatSurvivesACrashIsDurable() {
    for (int seed = 0; seed < SEEDS; seed++) {
      InMemoryKvEngine engine = new InMemoryKvEngine();
      writeNumbered(engine, 0, 4);
      int kept = engine.crash(new Random(seed));

      engine.crash(new Random(seed + 1));

      assertThat(numbersIn(engine)).as("seed %d", seed).isEqualTo(kept);
    }
  }

  @Test
  void aCrashWithoutUnsyncedWritesChangesNothing() {
    writeNumbered(memory(), 0, 2);
    memory().sync();

    memory().crash(new Random(3));
    memory().crash(new Random(4));

    assertThat(numbersIn(memory())).isEqualTo(2);
    assertThat(memory().unsyncedBatches()).isZero();
  }

  @Test
  void aSnapshotTakenBeforeACrashKeepsWhatItSaw() {
    writeNumbered(memory(), 0, 3);
    try (KvView before = memory().snapshot()) {
      memory().crash(new Random(0)); // whatever the crash keeps, the view saw all three

      assertThat(entries(before, b("k"), b("l"))).hasSize(3);
    }
  }

  /** Writes batches {@code from} to {@code to - 1} as described above. */
  private static void writeNumbered(InMemoryKvEngine engine, int from, int to) {
    for (int i = from; i < to; i++) {
      try (KvBatch batch = engine.newBatch()) {
        batch.put(KvSpace.DATA, b("k" + i), b(Integer.toString(i)));
        batch.put(KvSpace.DATA, b("last"), b(Integer.toString(i)));
        batch.put(KvSpace.META, b("applied"), b(Integer.toString(i)));
        engine.write(batch, i + 1);
      }
    }
  }

  /**
   * How many numbered batches the engine holds, checking they are exactly batches 0 to n - 1, each
   * whole.
   */
  private static int numbersIn(InMemoryKvEngine engine) {
    try (KvView view = engine.snapshot()) {
      List<String> keys = entries(view, b("k"), b("l"));
      int n = keys.size();
      for (int i = 0; i < n; i++) {
        assertThat(text(view.get(KvSpace.DATA, b("k" + i)))).isEqualTo(Integer.toString(i));
      }
      String last = n == 0 ? null : Integer.toString(n - 1);
      assertThat(text(view.get(KvSpace.DATA, b("last"))))
          .as("data of the last batch")
          .isEqualTo(last);
      assertThat(text(view.get(KvSpace.META, b("applied"))))
          .as("meta of the last batch")
          .isEqualTo(last);
      assertThat(entries(view, NO_KEY, null)).hasSize(n == 0 ? 0 : n + 1);
      return n;
    }
  }
}
