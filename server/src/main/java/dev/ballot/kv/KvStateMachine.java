package dev.ballot.kv;

import dev.ballot.kv.proto.Command;
import dev.ballot.node.StateMachine;
import dev.ballot.raft.Entry;
import dev.ballot.raft.SnapshotMeta;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Plugs the {@link KvStore} into the driver: decodes each committed command and applies it. */
public final class KvStateMachine implements StateMachine<ApplyResult> {
  private static final Logger log = LoggerFactory.getLogger(KvStateMachine.class);

  private final KvStore store;
  private final KvSnapshots snapshots;
  private final Consumer<KvStore.AppliedConfig> onConfig;

  /**
   * @param snapshots takes and installs snapshots; null for a state machine without them
   */
  public KvStateMachine(KvStore store, KvSnapshots snapshots) {
    this(store, snapshots, c -> {});
  }

  /**
   * @param onConfig told (on the apply thread) of each configuration applied, from an entry or an
   *     installed snapshot
   */
  public KvStateMachine(
      KvStore store, KvSnapshots snapshots, Consumer<KvStore.AppliedConfig> onConfig) {
    this.store = store;
    this.snapshots = snapshots;
    this.onConfig = onConfig;
  }

  @Override
  public long snapshotIndex() {
    return snapshots == null ? 0 : snapshots.newestIndex();
  }

  @Override
  public SnapshotMeta takeSnapshot(LongUnaryOperator termAt) {
    if (snapshots == null) {
      return StateMachine.super.takeSnapshot(termAt);
    }
    return snapshots.take(termAt);
  }

  @Override
  public void installSnapshot(SnapshotMeta snapshot) {
    if (snapshots == null) {
      StateMachine.super.installSnapshot(snapshot);
      return;
    }
    snapshots.install(snapshot);
    KvStore.AppliedConfig config = store.appliedConfig();
    if (config != null) {
      onConfig.accept(config);
    }
  }

  @Override
  public long appliedIndex() {
    return store.appliedIndex();
  }

  @Override
  public ApplyResult apply(Entry entry) {
    Command command;
    try {
      command = CommandCodec.decode(entry.data());
    } catch (KvException e) {
      // Every node decodes the same bytes the same way: each records the same rejection.
      log.error(
          "committed entry is not a command; applied as rejected index={} bytes={}",
          entry.index(),
          entry.data().length);
      return store.reject(entry.index(), e);
    }
    return store.applyBatched(entry.index(), command);
  }

  @Override
  public void endBatch() {
    store.endBatch();
  }

  @Override
  public void onWritten(LongConsumer written) {
    store.onWritten(written);
  }

  @Override
  public void applyEmpty(long index) {
    store.applyEmpty(index);
  }

  @Override
  public void applyConfig(Entry entry) {
    store.applyConfig(entry.index(), entry.data());
    onConfig.accept(new KvStore.AppliedConfig(entry.index(), entry.data()));
  }
}
