package dev.ballot.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.proto.raft.v1.NodeIdentity;
import dev.ballot.storage.StorageCorruptionException;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stored identity carries a checksum: a flipped bit or a truncation is found, not believed. */
class IdentityTest {
  private static final Identity IDENTITY =
      Discovery.assign(
          900,
          "",
          Map.of(
              "a:1", DiscoverResponse.newBuilder().setTempId(900).setClientAddr("a:2").build(),
              "b:1",
                  DiscoverResponse.newBuilder()
                      .setTempId(17)
                      .setClientAddr("b:2")
                      .setName("two")
                      .build(),
              "c:1", DiscoverResponse.newBuilder().setTempId(33).setClientAddr("c:2").build()));

  @Test
  void identitySurvivesEncoding() {
    assertThat(Identity.decode(IDENTITY.encode())).isEqualTo(IDENTITY);
    assertThat(Identity.decode(IDENTITY.markedRemoved().encode()).removed()).isTrue();
  }

  @Test
  void discoveryNamesEachMemberAsItAnswered() {
    // Ids follow the temporary ids (17, 33, 900): b is node 1 whatever its place in the list.
    assertThat(IDENTITY.initialMembership().member(1).orElseThrow().name()).isEqualTo("two");
    assertThat(IDENTITY.initialMembership().member(2).orElseThrow().name()).isEmpty();
  }

  @Test
  void everyFlippedBitIsFound() {
    byte[] stored = IDENTITY.encode();
    for (int bit = 0; bit < stored.length * 8; bit++) {
      byte[] damaged = stored.clone();
      damaged[bit / 8] ^= (byte) (1 << (bit % 8));
      try {
        Identity read = Identity.decode(damaged);
        // Only a flip of the format byte can leave something readable; it must not pass for
        // a different identity.
        assertThat(read).as("bit %d", bit).isEqualTo(IDENTITY);
      } catch (StorageCorruptionException e) {
        assertThat(e).hasMessageStartingWith("stored node identity is corrupt");
      }
    }
  }

  @Test
  void truncatedIdentityIsFound() {
    byte[] stored = IDENTITY.encode();
    for (int length = 1; length < stored.length; length++) {
      byte[] cut = Arrays.copyOf(stored, length);
      assertThatThrownBy(() -> Identity.decode(cut))
          .as("first %d bytes", length)
          .isInstanceOf(StorageCorruptionException.class)
          .hasMessageStartingWith("stored node identity is corrupt");
    }
  }

  @Test
  void identityWrittenBeforeTheChecksumIsStillRead() throws Exception {
    byte[] proto = Arrays.copyOfRange(IDENTITY.encode(), 5, IDENTITY.encode().length);
    NodeIdentity.parseFrom(proto); // the bare proto older versions stored
    assertThat(Identity.decode(proto)).isEqualTo(IDENTITY);
  }
}
