package dev.ballot.kv;

import dev.ballot.raft.SnapshotMeta;

/**
 * An immutable copy of an {@link InMemoryKvEngine}'s key spaces at a snapshot's index: what a
 * RocksDB checkpoint is on disk, as a value the simulation's transport can hand to another node.
 */
public final class KvImage {
  private final SnapshotMeta meta;
  private final long revision;
  private final InMemoryKvEngine.State state;

  /** {@code state}'s maps must never be mutated again. */
  KvImage(SnapshotMeta meta, long revision, InMemoryKvEngine.State state) {
    this.meta = meta;
    this.revision = revision;
    this.state = state;
  }

  /** The index, term and configuration the image is at. */
  public SnapshotMeta meta() {
    return meta;
  }

  /** The store revision at {@code meta().index()}. */
  public long revision() {
    return revision;
  }

  /** The value of {@code key} in {@code space}, or null. */
  public byte[] get(KvSpace space, byte[] key) {
    byte[] value = state.space(space).get(key);
    return value == null ? null : value.clone();
  }

  /** How many keys {@code space} holds. */
  public int size(KvSpace space) {
    return state.space(space).size();
  }

  InMemoryKvEngine.State state() {
    return state;
  }

  @Override
  public String toString() {
    return "KvImage[meta=" + meta + ", revision=" + revision + ", keys=" + size(KvSpace.DATA) + "]";
  }
}
