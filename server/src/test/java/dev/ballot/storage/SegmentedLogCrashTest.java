package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.SnapshotMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random writes, conflicts, snapshots, compactions and restarts against a model of what the log
 * must hold, on 4 KiB segments; now and then a crash tears the last write (a random set of its
 * 512-byte sectors never reaches the disk). After every restart the log must hold exactly the state
 * before that write or the state after it: a write is never kept in part.
 */
class SegmentedLogCrashTest {
  private static final long SEGMENT = 4096;
  private static final ClusterConfig CONFIG = new ClusterConfig(List.of(1L, 2L, 3L), List.of());

  @TempDir Path dir;

  /** What the log must hold: every entry (those below the snapshot too), state and snapshot. */
  private static final class Model {
    HardState hardState = HardState.EMPTY;
    SnapshotMeta snapshot;
    NavigableMap<Long, Entry> entries = new TreeMap<>();

    Model copy() {
      Model copy = new Model();
      copy.hardState = hardState;
      copy.snapshot = snapshot;
      copy.entries = new TreeMap<>(entries);
      return copy;
    }

    long snapshotIndex() {
      return snapshot == null ? 0 : snapshot.index();
    }

    long lastIndex() {
      return entries.isEmpty() ? snapshotIndex() : Math.max(entries.lastKey(), snapshotIndex());
    }

    long lastTerm() {
      return entries.isEmpty()
          ? (snapshot == null ? 0 : snapshot.term())
          : entries.lastEntry().getValue().term();
    }

    void save(SnapshotMeta reset, List<Entry> added, HardState newHardState) {
      if (reset != null) {
        entries.clear();
        snapshot = reset;
      }
      if (!added.isEmpty()) {
        entries.tailMap(added.get(0).index(), true).clear();
        added.forEach(e -> entries.put(e.index(), e));
      }
      if (newHardState != null) {
        hardState = newHardState;
      }
    }

    boolean matches(RestoredState restored) {
      List<Entry> expected = new ArrayList<>(entries.tailMap(snapshotIndex(), false).values());
      return restored.hardState().equals(hardState)
          && java.util.Objects.equals(restored.snapshot(), snapshot)
          && restored.entries().equals(expected);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void aCrashKeepsEveryWriteWholeOrNotAtAll(long seed) throws IOException {
    Random random = new Random(seed);
    Model model = new Model();
    SegmentedLog log = SegmentedLog.open(dir, SEGMENT);
    int torn = 0;
    int rolledBack = 0;
    try {
      for (int step = 0; step < 400; step++) {
        Model before = model.copy();
        Map<Path, byte[]> filesBefore = segmentFiles();
        long low =
            model.entries.isEmpty()
                ? 0
                : Math.max(model.snapshotIndex() + 1, model.entries.firstKey());
        int op = random.nextInt(100);
        if (op < 60) {
          long term = Math.max(1, model.lastTerm()) + (random.nextInt(10) == 0 ? 1 : 0);
          long first = model.lastIndex() + 1;
          if (op < 12 && model.entries.size() > 2 && low <= model.lastIndex()) {
            // A conflicting suffix from a newer term.
            first = low + random.nextInt((int) (model.lastIndex() - low + 1));
            term = model.lastTerm() + 1;
          }
          List<Entry> added = new ArrayList<>();
          int count = 1 + random.nextInt(5);
          for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(700)];
            random.nextBytes(data);
            added.add(new Entry(term, first + i, EntryType.NORMAL, data));
          }
          long last = first + count - 1;
          HardState state =
              random.nextBoolean()
                  ? new HardState(term, 1, Math.min(last, model.hardState.commitIndex() + 2))
                  : null;
          log.save(null, added, state, true);
          model.save(null, added, state);
        } else if (op < 75 && model.lastIndex() > model.snapshotIndex()) {
          long index =
              model.snapshotIndex()
                  + 1
                  + random.nextInt((int) (model.lastIndex() - model.snapshotIndex()));
          SnapshotMeta meta = new SnapshotMeta(index, model.entries.get(index).term(), CONFIG);
          log.saveSnapshotMeta(meta);
          model.snapshot = meta;
          // The snapshot meta is synced before the compaction: a crash tears only the latter.
          before = model.copy();
          filesBefore = segmentFiles();
          long compactTo = index - random.nextInt(5);
          if (compactTo > 0) {
            log.compact(compactTo);
            model.entries.headMap(compactTo, true).clear();
          }
        } else if (op < 80) {
          // A leader's snapshot replaces the whole log.
          long index = model.lastIndex() + 1 + random.nextInt(20);
          SnapshotMeta reset = new SnapshotMeta(index, model.lastTerm() + 1, CONFIG);
          HardState state = new HardState(model.lastTerm() + 1, 2, index);
          log.save(reset, List.of(), state, true);
          model.save(reset, List.of(), state);
        } else if (op < 90) {
          log.close();
          log = SegmentedLog.open(dir, SEGMENT);
          assertThat(model.matches(log.load())).as("step %d, clean restart", step).isTrue();
          continue;
        } else {
          continue;
        }
        if (random.nextInt(6) == 0) {
          Map.Entry<Path, Long> lastWrite = log.lastWrite();
          log.close();
          if (tearLastWrite(filesBefore, lastWrite, random)) {
            torn++;
          }
          log = SegmentedLog.open(dir, SEGMENT);
          RestoredState restored = log.load();
          if (before.matches(restored)) {
            model = before;
            rolledBack++;
          } else {
            assertThat(model.matches(restored))
                .as("step %d: the state before the last write or after it", step)
                .isTrue();
          }
        }
      }
    } finally {
      log.close();
    }
    assertThat(torn).as("crashes that tore a write").isPositive();
    assertThat(rolledBack).as("crashes that lost the last write").isPositive();
  }

  private Map<Path, byte[]> segmentFiles() throws IOException {
    Map<Path, byte[]> files = new HashMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path path : list.filter(p -> p.toString().endsWith(".seg")).toList()) {
        files.put(path, Files.readAllBytes(path));
      }
    }
    return files;
  }

  /**
   * Puts a random, non-empty set of the sectors that the last write changed back as they were
   * before it (every write before it was synced); false if none changed or its segment is new.
   */
  private boolean tearLastWrite(
      Map<Path, byte[]> before, Map.Entry<Path, Long> lastWrite, Random random) throws IOException {
    boolean tore = false;
    for (Map.Entry<Path, byte[]> file : before.entrySet()) {
      if (!file.getKey().equals(lastWrite.getKey()) || !Files.exists(file.getKey())) {
        continue;
      }
      byte[] old = file.getValue();
      byte[] now = Files.readAllBytes(file.getKey());
      List<Integer> changed = new ArrayList<>();
      int firstSector = (int) (lastWrite.getValue() / 512 * 512);
      for (int sector = firstSector; sector < Math.min(old.length, now.length); sector += 512) {
        int end = Math.min(sector + 512, old.length);
        if (!java.util.Arrays.equals(old, sector, end, now, sector, end)) {
          changed.add(sector);
        }
      }
      if (changed.isEmpty()) {
        continue;
      }
      boolean any = false;
      for (int sector : changed) {
        if (random.nextBoolean() || (!any && sector == changed.get(changed.size() - 1))) {
          int end = Math.min(sector + 512, old.length);
          System.arraycopy(old, sector, now, sector, end - sector);
          any = true;
        }
      }
      Files.write(file.getKey(), now);
      tore = true;
    }
    return tore;
  }
}
