package dev.ballot.transport;

import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.InstallSnapshotChunk;
import dev.ballot.storage.SnapshotInfo;
import java.util.zip.CRC32C;

/**
 * The InstallSnapshot stream format: the first chunk carries the metadata and revision; every chunk
 * carries at most {@link #MAX_CHUNK_BYTES} of data, its offset and its CRC32C; the last chunk has
 * {@code last} set and the CRC32C of the whole stream.
 */
final class SnapshotChunks {
  static final int MAX_CHUNK_BYTES = 1 << 20;

  private SnapshotChunks() {}

  /** Thrown for a stream that is malformed or damaged; the transfer is abandoned. */
  static final class BadStreamException extends Exception {
    BadStreamException(String message) {
      super(message);
    }
  }

  /** Builds the chunks of one stream, in order. */
  static final class Encoder {
    private final long clusterId;
    private final long from;
    private final long to;
    private final long term;
    private final SnapshotInfo info;
    private final CRC32C whole = new CRC32C();
    private long offset;

    Encoder(long clusterId, long from, long to, long term, SnapshotInfo info) {
      this.clusterId = clusterId;
      this.from = from;
      this.to = to;
      this.term = term;
      this.info = info;
    }

    InstallSnapshotChunk next(byte[] data, boolean last) {
      if (data.length > MAX_CHUNK_BYTES) {
        throw new IllegalArgumentException("chunk of " + data.length + " bytes");
      }
      InstallSnapshotChunk.Builder b =
          InstallSnapshotChunk.newBuilder()
              .setClusterId(clusterId)
              .setFrom(from)
              .setTo(to)
              .setTerm(term)
              .setOffset(offset)
              .setData(ByteString.copyFrom(data))
              .setChunkCrc32C(crc(data));
      if (offset == 0) {
        b.setMetadata(MessageCodec.encodeSnapshotMeta(info.meta())).setRevision(info.revision());
      }
      whole.update(data);
      offset += data.length;
      if (last) {
        b.setLast(true).setSnapshotCrc32C((int) whole.getValue());
      }
      return b.build();
    }
  }

  /** Checks the chunks of one stream, in order, and returns each one's data. */
  static final class Decoder {
    private final CRC32C whole = new CRC32C();
    private InstallSnapshotChunk header;
    private long offset;
    private boolean done;

    /** The verified data of {@code chunk}. */
    byte[] accept(InstallSnapshotChunk chunk) throws BadStreamException {
      if (done) {
        throw new BadStreamException("chunk after the last one");
      }
      if (header == null) {
        if (!chunk.hasMetadata() || chunk.getOffset() != 0) {
          throw new BadStreamException("the first chunk has no metadata");
        }
        try {
          MessageCodec.decodeSnapshotMeta(chunk.getMetadata());
        } catch (IllegalArgumentException e) {
          throw new BadStreamException("bad snapshot metadata: " + e.getMessage());
        }
        header = chunk;
      } else if (chunk.getFrom() != header.getFrom()
          || chunk.getTerm() != header.getTerm()
          || chunk.getClusterId() != header.getClusterId()) {
        throw new BadStreamException("chunk from another sender or term");
      }
      if (chunk.getOffset() != offset) {
        throw new BadStreamException(
            "chunk at offset " + chunk.getOffset() + ", expected " + offset);
      }
      byte[] data = chunk.getData().toByteArray();
      if (data.length > MAX_CHUNK_BYTES) {
        throw new BadStreamException("chunk of " + data.length + " bytes");
      }
      if (crc(data) != chunk.getChunkCrc32C()) {
        throw new BadStreamException("chunk at offset " + offset + " fails its checksum");
      }
      whole.update(data);
      offset += data.length;
      if (chunk.getLast()) {
        done = true;
        if ((int) whole.getValue() != chunk.getSnapshotCrc32C()) {
          throw new BadStreamException("snapshot of " + offset + " bytes fails its checksum");
        }
      }
      return data;
    }

    boolean done() {
      return done;
    }

    /** The first chunk, once accepted. */
    InstallSnapshotChunk header() {
      return header;
    }

    SnapshotInfo info() {
      return new SnapshotInfo(
          MessageCodec.decodeSnapshotMeta(header.getMetadata()), header.getRevision());
    }

    long bytes() {
      return offset;
    }
  }

  static int crc(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return (int) crc.getValue();
  }
}
