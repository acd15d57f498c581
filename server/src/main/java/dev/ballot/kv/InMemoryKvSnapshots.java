package dev.ballot.kv;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongUnaryOperator;

/**
 * Snapshots of a {@link KvStore} over an {@link InMemoryKvEngine}, for the simulation: {@link
 * #take} records an immutable {@link KvImage} of the engine as it is when the take runs (the
 * simulation runs it as an event of its own, between applies) and makes the engine durable (as a
 * RocksDB checkpoint is); {@link #install} replaces the engine's state by the image that the
 * transport {@link #stage}d for it beforehand. As the server's snapshot folder does, it keeps each
 * staged image by its index and term (a stale or duplicated transfer staged later never replaces
 * the one being installed), and drops those at or below an installed one. Images are durable: a
 * node restarted after a crash gets its newest one back through the constructor.
 *
 * <p>Takes run off the apply thread, installs on it, never both at once; any thread may stage and
 * read {@link #newest}.
 */
public final class InMemoryKvSnapshots implements KvSnapshots {
  private final KvStore store;
  private final InMemoryKvEngine engine;
  private final ClusterConfig initialConfig;
  private volatile KvImage newest;
  private final Map<SnapshotMeta, KvImage> staged = new ConcurrentHashMap<>();

  /**
   * @param store the store over {@code engine}
   * @param initialConfig the configuration recorded in snapshots taken before any configuration
   *     entry was applied
   * @param newest the newest image this node took or installed before a restart, or null
   */
  public InMemoryKvSnapshots(
      KvStore store, InMemoryKvEngine engine, ClusterConfig initialConfig, KvImage newest) {
    this.store = store;
    this.engine = engine;
    this.initialConfig = initialConfig;
    this.newest = newest;
  }

  /** The newest image taken or installed, to send to a follower; null if none. */
  public KvImage newest() {
    return newest;
  }

  @Override
  public long newestIndex() {
    KvImage image = newest;
    return image == null ? 0 : image.meta().index();
  }

  @Override
  public SnapshotMeta take(LongUnaryOperator termAt) {
    // Never in the middle of a range delete written in parts (KvStore.applyRangeDelete).
    KvImage image =
        store.readStable(
            () -> engine.image(KvSnapshots.metaOf(store, termAt, initialConfig), store.revision()));
    engine.sync();
    newest = image;
    return image.meta();
  }

  /** Hands over a leader's image for a later {@link #install} of {@code meta}. */
  public void stage(SnapshotMeta meta, KvImage image) {
    if (!image.meta().equals(meta)) {
      throw new IllegalArgumentException("image " + image + " staged for " + meta);
    }
    staged.put(meta, image);
  }

  @Override
  public void install(SnapshotMeta meta) {
    KvImage image = staged.get(meta);
    if (image == null) {
      throw new IllegalStateException(
          "no staged snapshot for " + meta + ", staged: " + staged.keySet());
    }
    store.replaceState(
        () -> {
          engine.restore(image);
          return null;
        });
    if (store.appliedIndex() != meta.index() || store.revision() != image.revision()) {
      throw new IllegalStateException(
          "installed snapshot "
              + meta
              + " revision "
              + image.revision()
              + " but the store holds index "
              + store.appliedIndex()
              + " revision "
              + store.revision());
    }
    staged.keySet().removeIf(m -> m.index() <= meta.index());
    newest = image;
  }
}
