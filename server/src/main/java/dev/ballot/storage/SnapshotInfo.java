package dev.ballot.storage;

import dev.ballot.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * What a snapshot on disk holds: the Raft metadata (index, term, configuration) and the store
 * revision at that index. Encoded as {@code [int metaLength][meta][long revision][int crc32c]}, the
 * checksum covering everything before it.
 */
public record SnapshotInfo(SnapshotMeta meta, long revision) {
  private static final int FIXED_BYTES = Integer.BYTES + Long.BYTES + Integer.BYTES;

  public byte[] encode() {
    byte[] metaBytes = MetaCodec.encodeSnapshotMeta(meta);
    ByteBuffer buf = ByteBuffer.allocate(FIXED_BYTES + metaBytes.length);
    buf.putInt(metaBytes.length).put(metaBytes).putLong(revision);
    buf.putInt(crc(buf.array(), buf.position()));
    return buf.array();
  }

  /**
   * @throws StorageCorruptionException if the bytes are damaged
   */
  public static SnapshotInfo decode(byte[] value) {
    if (value.length < FIXED_BYTES) {
      throw new StorageCorruptionException("snapshot info of " + value.length + " bytes is short");
    }
    ByteBuffer buf = ByteBuffer.wrap(value);
    int stored = buf.getInt(value.length - Integer.BYTES);
    if (stored != crc(value, value.length - Integer.BYTES)) {
      throw new StorageCorruptionException("snapshot info checksum mismatch");
    }
    int metaLength = buf.getInt();
    if (metaLength != value.length - FIXED_BYTES) {
      throw new StorageCorruptionException("snapshot info meta length " + metaLength + " is wrong");
    }
    byte[] metaBytes = new byte[metaLength];
    buf.get(metaBytes);
    return new SnapshotInfo(MetaCodec.decodeSnapshotMeta(metaBytes), buf.getLong());
  }

  private static int crc(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }
}
