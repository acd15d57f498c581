package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The log keeps at most a bound of payload bytes in memory: entries applied and persisted are
 * dropped from memory oldest first and read back from disk when a lagging follower needs them.
 */
class BoundedLogTest {
  private static final ClusterConfig THREE = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  /** The "disk": every entry the log was given, and how often it was read. */
  private final List<Entry> disk = new ArrayList<>();

  private final AtomicInteger reads = new AtomicInteger();

  private final LogReader reader =
      (lo, hi, maxBytes) -> {
        reads.incrementAndGet();
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (Entry e : disk) {
          if (e.index() >= lo && e.index() < hi) {
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
              break;
            }
            out.add(e);
          }
        }
        return out;
      };

  private static Entry entry(long index, int bytes) {
    return new Entry(1, index, EntryType.NORMAL, new byte[bytes]);
  }

  private RaftLog logOf(int count, int entryBytes, long maxInMemoryBytes) {
    RaftLog log =
        new RaftLog(
            new RestoredState(new HardState(1, RaftNode.NONE, 0), null, List.of(), 0),
            THREE,
            reader,
            maxInMemoryBytes);
    List<Entry> entries = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      entries.add(entry(i, entryBytes));
    }
    log.append(entries);
    disk.addAll(entries);
    return log;
  }

  @Test
  void appliedAndPersistedEntriesLeaveMemoryOldestFirst() {
    RaftLog log = logOf(100, 1000, 10_000);
    assertThat(log.inMemoryBytes()).as("nothing applied or persisted yet").isEqualTo(100_000);

    log.stableTo(100, 1);
    assertThat(log.inMemoryBytes()).as("persisted, not applied").isEqualTo(100_000);
    log.commitTo(100);
    log.appliedTo(50);
    assertThat(log.inMemoryBytes()).as("only applied entries may go").isEqualTo(50_000);
    log.appliedTo(100);
    assertThat(log.inMemoryBytes()).isEqualTo(10_000);
    assertThat(reads).hasValue(0);
  }

  @Test
  void droppedEntriesAreReadBackWholeForAFollowerThatLags() {
    RaftLog log = logOf(100, 1000, 10_000);
    log.stableTo(100, 1);
    log.commitTo(100);
    log.appliedTo(100);

    assertThat(log.entry(5)).isEqualTo(disk.get(4));
    List<Entry> slice = log.slice(80, 101, 1_000_000);
    assertThat(slice).as("across the disk/memory boundary").isEqualTo(disk.subList(79, 100));
    List<Entry> capped = log.slice(3, 101, 4_500);
    assertThat(capped).isEqualTo(disk.subList(2, 6)); // 4 entries of 1000 bytes fit in 4500
    assertThat(log.term(7)).isEqualTo(1);
    assertThat(log.inMemoryBytes()).as("reads do not refill memory").isEqualTo(10_000);
  }

  @Test
  void aReaderThatReturnsOtherEntriesIsCaught() {
    RaftLog log = logOf(10, 100, 100);
    log.stableTo(10, 1);
    log.commitTo(10);
    log.appliedTo(10);
    disk.set(2, new Entry(7, 3, EntryType.NORMAL, new byte[100])); // another term on disk

    assertThatThrownBy(() -> log.entry(3))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("log reader returned");
  }

  @Test
  void compactionAndSnapshotsKeepTheAccountRight() {
    RaftLog log = logOf(100, 1000, 10_000);
    log.stableTo(100, 1);
    log.commitTo(100);
    log.appliedTo(100);
    log.compact(new SnapshotMeta(95, 1, THREE), 95);
    assertThat(log.inMemoryBytes()).isEqualTo(5_000);
    assertThat(log.slice(96, 101, 1_000_000)).isEqualTo(disk.subList(95, 100));

    log.restore(new SnapshotMeta(200, 2, THREE));
    assertThat(log.inMemoryBytes()).isZero();
  }
}
