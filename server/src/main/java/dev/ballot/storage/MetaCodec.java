package dev.ballot.storage;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.HardState;
import dev.ballot.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk form of the values in the {@code raft_meta} column family: fixed-width big-endian
 * fields after a CRC32C of them.
 *
 * <ul>
 *   <li>hard state: {@code crc(4) | term(8) | votedFor(8) | commitIndex(8)}
 *   <li>snapshot meta: {@code crc(4) | index(8) | term(8) | voters(4) | learners(4) | ids(8 each)}
 * </ul>
 */
final class MetaCodec {
  private static final int CRC_BYTES = Integer.BYTES;
  private static final int HARD_STATE_BYTES = CRC_BYTES + 3 * Long.BYTES;
  private static final int SNAPSHOT_HEADER_BYTES = CRC_BYTES + 2 * Long.BYTES + 2 * Integer.BYTES;

  private MetaCodec() {}

  static byte[] encodeHardState(HardState hs) {
    ByteBuffer buf = ByteBuffer.allocate(HARD_STATE_BYTES).position(CRC_BYTES);
    buf.putLong(hs.term()).putLong(hs.votedFor()).putLong(hs.commitIndex());
    return sealed(buf);
  }

  static HardState decodeHardState(byte[] value) {
    ByteBuffer buf = checked("hard state", value);
    if (value.length != HARD_STATE_BYTES) {
      throw corrupt("hard state", "length " + value.length + ", expected " + HARD_STATE_BYTES);
    }
    try {
      return new HardState(buf.getLong(), buf.getLong(), buf.getLong());
    } catch (IllegalArgumentException e) {
      throw new StorageCorruptionException("stored hard state is corrupt: " + e.getMessage(), e);
    }
  }

  static byte[] encodeSnapshotMeta(SnapshotMeta meta) {
    List<Long> voters = meta.config().voters();
    List<Long> learners = meta.config().learners();
    int bytes = SNAPSHOT_HEADER_BYTES + Long.BYTES * (voters.size() + learners.size());
    ByteBuffer buf = ByteBuffer.allocate(bytes).position(CRC_BYTES);
    buf.putLong(meta.index()).putLong(meta.term());
    buf.putInt(voters.size()).putInt(learners.size());
    voters.forEach(buf::putLong);
    learners.forEach(buf::putLong);
    return sealed(buf);
  }

  static SnapshotMeta decodeSnapshotMeta(byte[] value) {
    ByteBuffer buf = checked("snapshot meta", value);
    if (value.length < SNAPSHOT_HEADER_BYTES) {
      throw corrupt("snapshot meta", "length " + value.length + " is shorter than its header");
    }
    try {
      long index = buf.getLong();
      long term = buf.getLong();
      int voterCount = buf.getInt();
      int learnerCount = buf.getInt();
      // Counts are checked against the length before any allocation sized by them.
      long idBytes = (long) Long.BYTES * ((long) voterCount + learnerCount);
      if (voterCount < 0 || learnerCount < 0 || idBytes != buf.remaining()) {
        throw corrupt(
            "snapshot meta",
            "voters="
                + voterCount
                + " learners="
                + learnerCount
                + " in "
                + value.length
                + " bytes");
      }
      List<Long> voters = readIds(buf, voterCount);
      List<Long> learners = readIds(buf, learnerCount);
      return new SnapshotMeta(index, term, new ClusterConfig(voters, learners));
    } catch (IllegalArgumentException e) {
      throw new StorageCorruptionException("stored snapshot meta is corrupt: " + e.getMessage(), e);
    }
  }

  private static List<Long> readIds(ByteBuffer buf, int count) {
    List<Long> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(buf.getLong());
    }
    return ids;
  }

  private static byte[] sealed(ByteBuffer buf) {
    byte[] value = buf.array();
    buf.putInt(0, crc(value));
    return value;
  }

  /** Verifies the checksum and returns a buffer positioned after it. */
  private static ByteBuffer checked(String what, byte[] value) {
    if (value.length < CRC_BYTES) {
      throw corrupt(what, "value of " + value.length + " bytes has no checksum");
    }
    ByteBuffer buf = ByteBuffer.wrap(value);
    if (buf.getInt() != crc(value)) {
      throw corrupt(what, "checksum mismatch");
    }
    return buf;
  }

  private static int crc(byte[] value) {
    CRC32C crc = new CRC32C();
    crc.update(value, CRC_BYTES, value.length - CRC_BYTES);
    return (int) crc.getValue();
  }

  private static StorageCorruptionException corrupt(String what, String why) {
    return new StorageCorruptionException("stored " + what + " is corrupt: " + why);
  }
}
