package dev.ballot.kv;

import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

/**
 * The key spaces in sorted maps, for the simulation and tests, with the crash model of the node's
 * disk: a written batch is readable at once but durable only after {@link #sync} (in the server, a
 * RocksDB flush of the kv families, whose writes bypass the write-ahead log); a {@link #crash}
 * keeps the durable state plus a prefix of the batches written since, each whole or not at all, as
 * a power loss would.
 *
 * <p>Thread-safe. A snapshot shares the maps it saw; the next write copies them first (copy on
 * write), so a snapshot costs nothing and never changes.
 */
public final class InMemoryKvEngine implements KvEngine {
  /** What a batch records for a deleted key. Compared by identity; stored values are copies. */
  private static final byte[] TOMBSTONE = new byte[0];

  /**
   * One write of a batch: a put, or a delete if {@code value} is the tombstone. {@code key} is the
   * stored key.
   */
  private record Op(KvSpace space, byte[] key, byte[] value) {}

  /** The state a restart finds, never mutated (it shares maps only with snapshots). */
  private State durable = State.empty();

  /** The state readers see: {@link #durable} with {@link #unsynced} applied in order. */
  private State latest = durable;

  /** Whether {@link #latest}'s maps are shared (by a snapshot or by durable) and must be copied. */
  private boolean latestShared = true;

  private final List<List<Op>> unsynced = new ArrayList<>();

  private final LiveView live = new LiveView();

  /** Both key spaces; the maps are mutable only while unshared. */
  record State(NavigableMap<byte[], byte[]> data, NavigableMap<byte[], byte[]> meta) {
    static State empty() {
      return new State(newMap(), newMap());
    }

    State copy() {
      return new State(new TreeMap<>(data), new TreeMap<>(meta));
    }

    /** The family that holds {@code space}, keyed by stored keys ({@link KvSpace#stored}). */
    NavigableMap<byte[], byte[]> space(KvSpace space) {
      return space.family() == KvSpace.Family.DATA ? data : meta;
    }

    void apply(List<Op> ops) {
      for (Op op : ops) {
        if (op.value() == TOMBSTONE) {
          space(op.space()).remove(op.key());
        } else {
          space(op.space()).put(op.key(), op.value());
        }
      }
    }
  }

  private static NavigableMap<byte[], byte[]> newMap() {
    return new TreeMap<>(KeyRanges::compare);
  }

  @Override
  public KvView live() {
    return live;
  }

  @Override
  public KvView snapshot() {
    return new MapView(shareLatest());
  }

  @Override
  public KvBatch newBatch() {
    return new Batch();
  }

  @Override
  public synchronized void write(KvBatch batch, long index) {
    if (!(batch instanceof Batch mine)) {
      throw new IllegalArgumentException("a batch of another engine: " + batch);
    }
    mine.checkUnchanged();
    List<Op> ops = List.copyOf(mine.ops);
    if (latestShared) {
      latest = latest.copy();
      latestShared = false;
    }
    latest.apply(ops);
    unsynced.add(ops);
  }

  @Override
  public synchronized void deleteRange(KvSpace space, byte[] from, byte[] to, long index) {
    // One batch of deletes, so that a crash keeps all of them or none, as RocksDB's range delete.
    List<Op> ops = new ArrayList<>();
    latest
        .space(space)
        .subMap(space.stored(from), true, space.storedEnd(to), false)
        .keySet()
        .forEach(stored -> ops.add(new Op(space, stored, TOMBSTONE)));
    if (latestShared) {
      latest = latest.copy();
      latestShared = false;
    }
    latest.apply(ops);
    unsynced.add(ops);
  }

  /** Makes every batch written so far durable. */
  public synchronized void sync() {
    durable = shareLatest();
    unsynced.clear();
  }

  /**
   * A power loss: keeps the durable state and a random prefix (possibly empty, possibly all) of the
   * batches written since, and drops the rest. What survived is durable from now on, as after a
   * restart's recovery.
   *
   * @return how many unsynced batches survived
   */
  public synchronized int crash(Random random) {
    return crash(random.nextInt(unsynced.size() + 1));
  }

  /**
   * A power loss after the disk wrote the first {@code kept} batches since the last sync (whole, in
   * order) and none of the others.
   *
   * @return {@code kept}
   */
  public synchronized int crash(int kept) {
    if (kept < 0 || kept > unsynced.size()) {
      throw new IllegalArgumentException("keep " + kept + " of " + unsynced.size() + " batches");
    }
    State state = durable.copy();
    for (List<Op> ops : unsynced.subList(0, kept)) {
      state.apply(ops);
    }
    unsynced.clear();
    latest = state;
    durable = state;
    latestShared = true;
    return kept;
  }

  /** How many written batches a crash could lose now. */
  public synchronized int unsyncedBatches() {
    return unsynced.size();
  }

  /** An immutable copy of both key spaces, described by {@code meta} and {@code revision}. */
  synchronized KvImage image(SnapshotMeta meta, long revision) {
    return new KvImage(meta, revision, shareLatest());
  }

  /** Replaces the whole state by {@code image}'s, durably (a snapshot install is synced). */
  synchronized void restore(KvImage image) {
    latest = image.state();
    durable = latest;
    latestShared = true;
    unsynced.clear();
  }

  @Override
  public void close() {}

  private synchronized State shareLatest() {
    latestShared = true;
    return latest;
  }

  private synchronized byte[] getLatest(KvSpace space, byte[] key) {
    return latest.space(space).get(space.stored(key));
  }

  private static NavigableMap<byte[], byte[]> range(
      NavigableMap<byte[], byte[]> map, byte[] from, byte[] to) {
    return to == null ? map.tailMap(from, true) : map.subMap(from, true, to, false);
  }

  /** Visits {@code space}'s keys of {@code [from, to)} in {@code family}, the map that holds it. */
  private static void scan(
      KvSpace space,
      NavigableMap<byte[], byte[]> family,
      byte[] from,
      byte[] to,
      KvView.Visitor visitor) {
    byte[] storedFrom = space.stored(from);
    byte[] storedTo = space.storedEnd(to);
    if (storedTo != null && KeyRanges.compare(storedFrom, storedTo) >= 0) {
      return; // an empty range; subMap would reject it
    }
    for (Map.Entry<byte[], byte[]> entry : range(family, storedFrom, storedTo).entrySet()) {
      byte[] value = entry.getValue();
      if (!visitor.visit(space.unstored(entry.getKey().clone()), value::clone)) {
        return;
      }
    }
  }

  /** A point in time: maps nobody mutates any more. */
  private static final class MapView implements KvView {
    final State state;

    MapView(State state) {
      this.state = state;
    }

    @Override
    public byte[] get(KvSpace space, byte[] key) {
      byte[] value = state.space(space).get(space.stored(key));
      return value == null ? null : value.clone();
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      InMemoryKvEngine.scan(space, state.space(space), from, to, visitor);
    }

    @Override
    public void close() {}
  }

  /** Each read sees the latest state; a scan sees the state at its start. */
  private final class LiveView implements KvView {
    @Override
    public byte[] get(KvSpace space, byte[] key) {
      byte[] value = getLatest(space, key);
      return value == null ? null : value.clone();
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      InMemoryKvEngine.scan(space, shareLatest().space(space), from, to, visitor);
    }

    @Override
    public void close() {}
  }

  private static final class Batch implements KvBatch {
    final List<Op> ops = new ArrayList<>();

    /** The batch's writes by space and key, the later one winning. */
    final State pending = State.empty();

    /**
     * The arrays as handed over, with copies: RocksDB's batch keeps them until the write ({@link
     * KvBatch}), so a caller that changed one afterwards would write something else there; here the
     * write refuses it.
     */
    final List<byte[]> handed = new ArrayList<>();

    @Override
    public void put(KvSpace space, byte[] key, byte[] value) {
      add(new Op(space, space.stored(handOver(key)), handOver(value)));
    }

    @Override
    public void delete(KvSpace space, byte[] key) {
      add(new Op(space, space.stored(handOver(key)), TOMBSTONE));
    }

    /** The batch's own copy of {@code array}, remembered beside it (neither copy ever changes). */
    private byte[] handOver(byte[] array) {
      byte[] copy = array.clone();
      handed.add(array);
      handed.add(copy);
      return copy;
    }

    void checkUnchanged() {
      for (int i = 0; i < handed.size(); i += 2) {
        if (!Arrays.equals(handed.get(i), handed.get(i + 1))) {
          throw new IllegalStateException("an array was changed after it was added to a batch");
        }
      }
    }

    private void add(Op op) {
      ops.add(op);
      pending.space(op.space()).put(op.key(), op.value());
    }

    @Override
    public int writes() {
      return ops.size();
    }

    @Override
    public KvView over(KvView base) {
      return new BatchView(this, base);
    }

    @Override
    public void close() {}
  }

  /** A view with a batch's writes on top; a scan merges both into one sorted copy. */
  private static final class BatchView implements KvView {
    private final Batch batch;
    private final KvView base;

    BatchView(Batch batch, KvView base) {
      this.batch = batch;
      this.base = base;
    }

    @Override
    public byte[] get(KvSpace space, byte[] key) {
      byte[] value = batch.pending.space(space).get(space.stored(key));
      if (value == null) {
        return base.get(space, key);
      }
      return value == TOMBSTONE ? null : value.clone();
    }

    @Override
    public void scan(KvSpace space, byte[] from, byte[] to, Visitor visitor) {
      // merged holds stored keys, as the families do.
      NavigableMap<byte[], byte[]> merged = newMap();
      base.scan(
          space,
          from,
          to,
          (key, position) -> {
            merged.put(space.stored(key), position.value());
            return true;
          });
      byte[] storedFrom = space.stored(from);
      byte[] storedTo = space.storedEnd(to);
      if (storedTo == null || KeyRanges.compare(storedFrom, storedTo) < 0) {
        for (Map.Entry<byte[], byte[]> write :
            range(batch.pending.space(space), storedFrom, storedTo).entrySet()) {
          if (write.getValue() == TOMBSTONE) {
            merged.remove(write.getKey());
          } else {
            merged.put(write.getKey(), write.getValue());
          }
        }
      }
      InMemoryKvEngine.scan(space, merged, from, to, visitor);
    }

    @Override
    public void close() {}
  }
}
