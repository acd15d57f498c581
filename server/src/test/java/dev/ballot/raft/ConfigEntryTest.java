package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The payload of a CONFIG entry: what one node writes, every node reads back the same. */
class ConfigEntryTest {

  /** The encoding written by hand: version 1, then counts and ids as unsigned varints. */
  private static byte[] raw(long... varints) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(1);
    for (long v : varints) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }
    return out.toByteArray();
  }

  @Test
  void roundTripKeepsVotersLearnersAndContext() {
    byte[] context = "members: 1=a:1 2=b:2 300=c:3".getBytes(StandardCharsets.UTF_8);
    ConfigEntry entry =
        new ConfigEntry(new ClusterConfig(List.of(2L, 1L, 300L), List.of(1L << 40)), context);

    ConfigEntry back = ConfigEntry.decode(entry.encode());

    assertThat(back).isEqualTo(entry);
    assertThat(back.config().voters()).containsExactly(1L, 2L, 300L);
    assertThat(back.config().learners()).containsExactly(1L << 40);
    assertThat(back.context()).isEqualTo(context);
  }

  @Test
  void roundTripWithoutLearnersOrContext() {
    ConfigEntry entry = new ConfigEntry(ClusterConfig.ofVoters(List.of(7L)), null);

    ConfigEntry back = ConfigEntry.decode(entry.encode());

    assertThat(back.config()).isEqualTo(ClusterConfig.ofVoters(List.of(7L)));
    assertThat(back.context()).isEmpty();
    assertThat(entry.encode()).containsExactly(1, 1, 7, 0);
  }

  @Test
  void rejectsEmptyOrUnknownVersion() {
    assertThatThrownBy(() -> ConfigEntry.decode(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] v2 = raw(1, 7, 0);
    v2[0] = 2;
    assertThatThrownBy(() -> ConfigEntry.decode(v2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version");
  }

  @Test
  void rejectsTruncatedPayloads() {
    byte[] full = new ConfigEntry(new ClusterConfig(List.of(1L, 300L), List.of(5L)), null).encode();
    for (int length = 1; length < full.length; length++) {
      byte[] cut = java.util.Arrays.copyOf(full, length);
      assertThatThrownBy(() -> ConfigEntry.decode(cut))
          .as("first %d of %d bytes", length, full.length)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void rejectsCountsLargerThanThePayload() {
    assertThatThrownBy(() -> ConfigEntry.decode(raw(1_000_000, 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsACountThatIsNegativeAsASignedLong() {
    // 2^63 as a 10-byte varint: a long reads it as negative, which must not mean "no learners".
    assertThatThrownBy(() -> ConfigEntry.decode(raw(1, 7, Long.MIN_VALUE)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConfigEntry.decode(raw(Long.MIN_VALUE + 1, 7, 0)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsAVarintLongerThanTenBytes() {
    byte[] bad = new byte[13];
    bad[0] = 1;
    java.util.Arrays.fill(bad, 1, 12, (byte) 0x80);
    assertThatThrownBy(() -> ConfigEntry.decode(bad)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsConfigurationsThatCannotExist() {
    assertThatThrownBy(() -> ConfigEntry.decode(raw(0, 0)))
        .as("no voter")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConfigEntry.decode(raw(2, 3, 3, 0)))
        .as("a voter twice")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConfigEntry.decode(raw(1, 3, 1, 3)))
        .as("voter and learner at once")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConfigEntry.decode(raw(2, 1, 0, 0)))
        .as("node id 0 means no node")
        .isInstanceOf(IllegalArgumentException.class);
  }
}
