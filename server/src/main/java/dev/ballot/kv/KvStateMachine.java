package dev.ballot.kv;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.StateMachine;
import dev.ballot.raft.Entry;

/** Plugs the {@link KvStore} into the driver: decodes each committed command and applies it. */
public final class KvStateMachine implements StateMachine<ApplyResult> {
  private final KvStore store;

  public KvStateMachine(KvStore store) {
    this.store = store;
  }

  @Override
  public long appliedIndex() {
    return store.appliedIndex();
  }

  @Override
  public ApplyResult apply(Entry entry) {
    Command command;
    try {
      command = Command.parseFrom(entry.data());
    } catch (InvalidProtocolBufferException e) {
      // Every node fails the same way on the same bytes, so the replicas stay identical.
      throw new IllegalStateException("committed entry " + entry.index() + " is not a command", e);
    }
    return store.apply(entry.index(), command);
  }

  @Override
  public void applyEmpty(long index) {
    store.applyEmpty(index);
  }
}
