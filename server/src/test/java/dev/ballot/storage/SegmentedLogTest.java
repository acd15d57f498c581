package dev.ballot.storage;

import static dev.ballot.storage.RaftStorageContractTest.entries;
import static dev.ballot.storage.RaftStorageContractTest.entry;
import static dev.ballot.storage.RaftStorageContractTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.HardState;
import dev.ballot.raft.RestoredState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log's segment files, on segments of 4 KiB so that a few dozen entries fill several. */
class SegmentedLogTest {
  private static final long SEGMENT = 4096;

  @TempDir Path dir;
  private SegmentedLog log;

  private SegmentedLog open() {
    if (log != null) {
      log.close();
    }
    log = SegmentedLog.open(dir, SEGMENT);
    return log;
  }

  @AfterEach
  void close() {
    if (log != null) {
      log.close();
    }
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  private static List<Entry> bigEntries(long term, long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to)
        .mapToObj(
            i -> new Entry(term, i, EntryType.NORMAL, ("e" + i + "-" + "x".repeat(300)).getBytes()))
        .toList();
  }

  private void saveOneByOne(List<Entry> entries) {
    for (Entry entry : entries) {
      log.save(null, List.of(entry), new HardState(entry.term(), 1, entry.index() - 1), true);
    }
  }

  @Test
  void entriesSpreadOverManySegmentsReplayInOrder() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 60));

    assertThat(segments()).hasSizeGreaterThan(4);
    RestoredState restored = open().load();
    assertThat(restored.entries()).containsExactlyElementsOf(bigEntries(1, 1, 60));
    assertThat(restored.hardState()).isEqualTo(new HardState(1, 1, 59));
  }

  @Test
  void compactionDeletesOldSegmentsAndTheStateSurvivesThem() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 60));
    log.saveSnapshotMeta(snapshot(40, 1));
    int before = segments().size();

    log.compact(40);

    assertThat(segments().size()).isLessThan(before - 2);
    assertThat(log.read(41, 61, Long.MAX_VALUE)).containsExactlyElementsOf(bigEntries(1, 41, 60));
    assertThat(log.entryCount()).isEqualTo(20);
    RestoredState restored = open().load();
    assertThat(log.entryCount())
        .as("compacted entries stay compacted after a restart")
        .isEqualTo(20);
    assertThat(restored.snapshot()).isEqualTo(snapshot(40, 1));
    assertThat(restored.hardState()).isEqualTo(new HardState(1, 1, 59));
    assertThat(restored.entries()).containsExactlyElementsOf(bigEntries(1, 41, 60));
  }

  @Test
  void aConflictingSuffixIsReplacedAcrossSegmentsAndRestarts() {
    open();
    saveOneByOne(bigEntries(1, 1, 30));
    log.save(null, bigEntries(2, 12, 14), new HardState(2, 1, 11), true);

    assertThat(log.lastIndex()).isEqualTo(14);
    assertThat(open().load().entries())
        .containsExactlyElementsOf(
            Stream.concat(bigEntries(1, 1, 11).stream(), bigEntries(2, 12, 14).stream()).toList());
  }

  @Test
  void aSnapshotThatReplacesTheLogSurvivesTheDeletionOfItsSegment() {
    open();
    saveOneByOne(bigEntries(1, 1, 10));
    log.save(snapshot(100, 3), List.of(), new HardState(3, 2, 100), true);
    saveOneByOne(bigEntries(3, 101, 140));
    log.compact(100);

    RestoredState restored = open().load();
    assertThat(restored.snapshot()).isEqualTo(snapshot(100, 3));
    assertThat(restored.entries()).containsExactlyElementsOf(bigEntries(3, 101, 140));
  }

  @Test
  void aWriteLargerThanASegmentGetsOneOfItsOwn() {
    open();
    saveOneByOne(bigEntries(1, 1, 3));
    List<Entry> large = List.of(new Entry(1, 4, EntryType.NORMAL, new byte[20_000]));
    log.save(null, large, new HardState(1, 1, 3), true);
    saveOneByOne(bigEntries(1, 5, 6));

    assertThat(open().load().entries()).hasSize(6).element(3).isEqualTo(large.get(0));
  }

  @Test
  void aDeletedSegmentThatACrashBringsBackIsIgnored() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 60));
    Path oldest = segments().get(0);
    byte[] copy = Files.readAllBytes(oldest);
    log.saveSnapshotMeta(snapshot(40, 1));
    log.compact(40);
    log.close();
    log = null;
    // The file system lost the deletion (the folder was not synced); the segments between are gone.
    Files.write(oldest, copy);

    RestoredState restored = open().load();
    assertThat(restored.entries()).containsExactlyElementsOf(bigEntries(1, 41, 60));
    assertThat(restored.hardState()).isEqualTo(new HardState(1, 1, 59));
  }

  @Test
  void aMissingEntryAfterTheSnapshotIsCorruption() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 60));
    log.saveSnapshotMeta(snapshot(5, 1));
    log.close();
    log = null;
    Files.delete(segments().get(2)); // holds entries after 5

    assertThatThrownBy(() -> open().load())
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 6 is missing");
  }

  @Test
  void aTermGoingBackwardsIsCorruption() {
    open();
    log.save(null, entries(2, 1, 5), null, true);
    log.save(null, List.of(entry(1, 4)), null, true);

    assertThatThrownBy(() -> open().load())
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining("raft log entry 4 is corrupt")
        .hasMessageContaining("below the previous term");
  }

  @Test
  void aSegmentWithAnotherSequenceNumberInItsHeaderIsCorruption() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 30));
    log.close();
    log = null;
    List<Path> segments = segments();
    Files.copy(segments.get(1), segments.get(2), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(this::open)
        .isInstanceOf(StorageCorruptionException.class)
        .hasMessageContaining(segments.get(2).toString())
        .hasMessageContaining("sequence");
  }

  @Test
  void aSegmentWhosePreparationACrashInterruptedIsRemoved() throws IOException {
    open();
    saveOneByOne(bigEntries(1, 1, 5));
    log.close();
    log = null;
    Files.write(dir.resolve("00000000000000ff.seg.tmp"), new byte[100]);

    assertThat(open().load().entries()).hasSize(5);
    assertThat(dir.resolve("00000000000000ff.seg.tmp")).doesNotExist();
  }

  @Test
  void aGapInTheWrittenEntriesIsRefused() {
    open();
    log.save(null, entries(1, 1, 3), null, true);

    assertThatThrownBy(() -> log.save(null, List.of(entry(1, 5)), null, true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("gap");
    assertThat(log.lastIndex()).isEqualTo(3);
  }

  @Test
  void createWritesAWholeLogOrNothing() throws IOException {
    Path target = dir.resolve("log");
    SegmentedLog.create(
        target, new HardState(4, 2, 30), snapshot(20, 3), bigEntries(4, 21, 40), SEGMENT);

    try (SegmentedLog created = SegmentedLog.open(target, SEGMENT)) {
      RestoredState restored = created.load();
      assertThat(restored.hardState()).isEqualTo(new HardState(4, 2, 30));
      assertThat(restored.snapshot()).isEqualTo(snapshot(20, 3));
      assertThat(restored.entries()).containsExactlyElementsOf(bigEntries(4, 21, 40));
    }
    assertThat(dir.resolve("log.new")).doesNotExist();
  }
}
