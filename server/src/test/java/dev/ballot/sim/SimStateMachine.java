package dev.ballot.sim;

import dev.ballot.raft.Entry;
import java.nio.ByteBuffer;

/** How the simulation's clients encode their values, and the running hash of applied entries. */
final class SimStateMachine {
  private SimStateMachine() {}

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
