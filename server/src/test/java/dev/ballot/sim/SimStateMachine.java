package dev.ballot.sim;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated state machine: the sequence of client values applied, and a running hash over every
 * applied entry so that two nodes' states can be compared at any index in O(1).
 */
final class SimStateMachine {
  private final ArrayList<Long> values = new ArrayList<>();
  private long appliedIndex;
  private long hash;

  static SimStateMachine restore(SimSnapshot snapshot) {
    SimStateMachine sm = new SimStateMachine();
    if (snapshot != null) {
      sm.values.addAll(snapshot.values());
      sm.appliedIndex = snapshot.meta().index();
      sm.hash = snapshot.hash();
    }
    return sm;
  }

  void apply(Entry e) {
    if (e.index() != appliedIndex + 1) {
      throw new AssertionError("applied " + e + " after index " + appliedIndex);
    }
    if (e.type() == EntryType.NORMAL) {
      values.add(decode(e.data()));
    }
    appliedIndex = e.index();
    hash = chain(hash, e);
  }

  SimSnapshot snapshot(SnapshotMeta meta) {
    if (meta.index() != appliedIndex) {
      throw new AssertionError("snapshot at " + meta.index() + " but applied " + appliedIndex);
    }
    return new SimSnapshot(meta, values, hash);
  }

  long appliedIndex() {
    return appliedIndex;
  }

  long hash() {
    return hash;
  }

  int valueCount() {
    return values.size();
  }

  List<Long> values() {
    return values;
  }

  static long chain(long previous, Entry e) {
    long h = previous * 0x9E3779B97F4A7C15L + e.index();
    h = h * 31 + e.term();
    h = h * 31 + e.type().ordinal();
    for (byte b : e.data()) {
      h = h * 31 + b;
    }
    return h;
  }

  static byte[] encode(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  static long decode(byte[] data) {
    return ByteBuffer.wrap(data).getLong();
  }
}
