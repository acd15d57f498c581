package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.InstallSnapshotChunk;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.SnapshotInfo;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SnapshotChunksTest {
  private static final SnapshotInfo INFO =
      new SnapshotInfo(new SnapshotMeta(500, 4, ClusterConfig.ofVoters(List.of(1L, 2L, 3L))), 321);

  /** A snapshot of 2.5 chunks of random bytes, encoded. */
  private static List<InstallSnapshotChunk> encode(byte[] snapshot) {
    SnapshotChunks.Encoder encoder = new SnapshotChunks.Encoder(77, 1, 2, 4, INFO);
    List<InstallSnapshotChunk> chunks = new ArrayList<>();
    for (int off = 0; off < snapshot.length; off += SnapshotChunks.MAX_CHUNK_BYTES) {
      int end = Math.min(snapshot.length, off + SnapshotChunks.MAX_CHUNK_BYTES);
      chunks.add(encoder.next(Arrays.copyOfRange(snapshot, off, end), end == snapshot.length));
    }
    return chunks;
  }

  private static byte[] snapshotBytes() {
    byte[] bytes = new byte[SnapshotChunks.MAX_CHUNK_BYTES * 5 / 2];
    new Random(7).nextBytes(bytes);
    return bytes;
  }

  private static byte[] decode(List<InstallSnapshotChunk> chunks) throws Exception {
    SnapshotChunks.Decoder decoder = new SnapshotChunks.Decoder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (InstallSnapshotChunk c : chunks) {
      out.writeBytes(decoder.accept(c));
    }
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.info()).isEqualTo(INFO);
    return out.toByteArray();
  }

  @Test
  void chunksAreBoundedAndDecodeToTheSameBytesAndMetadata() throws Exception {
    byte[] snapshot = snapshotBytes();
    List<InstallSnapshotChunk> chunks = encode(snapshot);

    assertThat(chunks).hasSize(3);
    assertThat(chunks).allMatch(c -> c.getData().size() <= SnapshotChunks.MAX_CHUNK_BYTES);
    assertThat(chunks.get(0).hasMetadata()).isTrue();
    assertThat(chunks.get(0).getClusterId()).isEqualTo(77);
    assertThat(chunks.get(2).getLast()).isTrue();
    assertThat(decode(chunks)).isEqualTo(snapshot);
  }

  @Test
  void aFlippedByteInAChunkIsDetected() {
    List<InstallSnapshotChunk> chunks = new ArrayList<>(encode(snapshotBytes()));
    byte[] data = chunks.get(1).getData().toByteArray();
    data[12345] ^= 0x10;
    chunks.set(1, chunks.get(1).toBuilder().setData(ByteString.copyFrom(data)).build());

    assertThatThrownBy(() -> decode(chunks))
        .isInstanceOf(SnapshotChunks.BadStreamException.class)
        .hasMessageContaining("checksum");
  }

  @Test
  void aWrongWholeStreamChecksumIsDetected() {
    List<InstallSnapshotChunk> chunks = new ArrayList<>(encode(snapshotBytes()));
    InstallSnapshotChunk last = chunks.get(2);
    chunks.set(2, last.toBuilder().setSnapshotCrc32C(last.getSnapshotCrc32C() + 1).build());

    assertThatThrownBy(() -> decode(chunks))
        .isInstanceOf(SnapshotChunks.BadStreamException.class)
        .hasMessageContaining("snapshot of");
  }

  @Test
  void aMissingOrRepeatedChunkIsDetected() {
    List<InstallSnapshotChunk> chunks = encode(snapshotBytes());

    assertThatThrownBy(() -> decode(List.of(chunks.get(0), chunks.get(2))))
        .isInstanceOf(SnapshotChunks.BadStreamException.class)
        .hasMessageContaining("offset");
    assertThatThrownBy(() -> decode(List.of(chunks.get(0), chunks.get(0))))
        .isInstanceOf(SnapshotChunks.BadStreamException.class);
    assertThatThrownBy(() -> decode(List.of(chunks.get(1))))
        .isInstanceOf(SnapshotChunks.BadStreamException.class)
        .hasMessageContaining("metadata");
  }

  @Test
  void aChunkFromAnotherSenderMidStreamIsRefused() {
    List<InstallSnapshotChunk> chunks = new ArrayList<>(encode(snapshotBytes()));
    chunks.set(1, chunks.get(1).toBuilder().setFrom(3).build());

    assertThatThrownBy(() -> decode(chunks))
        .isInstanceOf(SnapshotChunks.BadStreamException.class)
        .hasMessageContaining("another sender");
  }
}
