package dev.ballot.sim;

import dev.ballot.node.StateMachine;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/** The append-only log of client values as a {@link SimStore}. */
final class AppendLogStore implements SimStore<Long> {
  /** The whole state at one index. */
  private record Image(long index, List<Long> values, long hash, ClusterConfig config) {
    Image {
      values = List.copyOf(values);
    }
  }

  private Image durable;
  private final List<Entry> unsynced = new ArrayList<>();
  private Image snapshot;
  private SnapshotMeta snapshotMeta;
  private Image staged;
  private SnapshotMeta stagedMeta;

  private final ArrayList<Long> values = new ArrayList<>();
  private long appliedIndex;
  private long hash;
  private ClusterConfig config;

  private final SimWal wal;

  AppendLogStore(ClusterConfig initialConfig, SimWal wal) {
    this.wal = wal;
    this.durable = new Image(0, List.of(), 0, initialConfig);
    load(durable);
    wal.onSync(this::synced);
  }

  private void load(Image image) {
    values.clear();
    values.addAll(image.values());
    appliedIndex = image.index();
    hash = image.hash();
    config = image.config();
  }

  private Image image() {
    return new Image(appliedIndex, values, hash, config);
  }

  int valueCount() {
    return values.size();
  }

  @Override
  public long hash() {
    return hash;
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  private void synced() {
    durable = image();
    unsynced.clear();
  }

  @Override
  public void crash(int keepUnsynced) {
    List<Entry> replay = new ArrayList<>(unsynced.subList(0, keepUnsynced));
    load(durable);
    unsynced.clear();
    replay.forEach(e -> applyEntry(e, false));
    synced();
  }

  private void applyEntry(Entry e) {
    applyEntry(e, true);
  }

  private void applyEntry(Entry e, boolean logged) {
    if (e.index() != appliedIndex + 1) {
      throw new IllegalStateException("applied " + e + " after index " + appliedIndex);
    }
    if (e.type() == EntryType.NORMAL && e.data().length > 0) {
      values.add(SimStateMachine.decode(e.data()));
    } else if (e.type() == EntryType.CONFIG) {
      config = ConfigEntry.decode(e.data()).config();
    }
    appliedIndex = e.index();
    hash = SimStateMachine.chain(hash, e);
    if (logged) {
      unsynced.add(e);
      wal.wrote(SimWal.Owner.STATE_MACHINE);
    }
  }

  @Override
  public Object snapshotImage(SnapshotMeta meta) {
    if (snapshotMeta == null || !snapshotMeta.equals(meta)) {
      throw new IllegalStateException("holds snapshot " + snapshotMeta + ", asked for " + meta);
    }
    return snapshot;
  }

  @Override
  public void stage(SnapshotMeta meta, Object image) {
    stagedMeta = meta;
    staged = (Image) image;
  }

  @Override
  public StateMachine<Long> open() {
    return new StateMachine<>() {
      @Override
      public long appliedIndex() {
        return appliedIndex;
      }

      @Override
      public Long apply(Entry entry) {
        applyEntry(entry);
        return entry.index();
      }

      @Override
      public void applyEmpty(long index) {
        // The term of an empty entry is not known here; every node hashes it the same way.
        applyEntry(new Entry(1, index, EntryType.NORMAL, new byte[0]));
      }

      @Override
      public void applyConfig(Entry entry) {
        applyEntry(entry);
      }

      @Override
      public long snapshotIndex() {
        return snapshotMeta == null ? 0 : snapshotMeta.index();
      }

      @Override
      public SnapshotMeta takeSnapshot(long index, long term) {
        if (index != appliedIndex) {
          throw new IllegalStateException("snapshot at " + index + " but applied " + appliedIndex);
        }
        snapshot = image();
        snapshotMeta = new SnapshotMeta(index, term, config);
        wal.sync(); // a checkpoint flushes: the data is durable, and the log before it
        return snapshotMeta;
      }

      @Override
      public void installSnapshot(SnapshotMeta meta) {
        if (stagedMeta == null || !stagedMeta.equals(meta)) {
          throw new IllegalStateException("must install " + meta + " but staged " + stagedMeta);
        }
        load(staged);
        snapshot = staged;
        snapshotMeta = meta;
        unsynced.clear();
        wal.sync();
      }
    };
  }
}
