package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PeerDirectoryTest {
  @Test
  void knowsPeersButNeverItselfNorRemovedNodes() {
    PeerDirectory peers = new PeerDirectory(1, "self:1", Map.of(1L, "self:1", 2L, "b:1"));
    assertThat(peers.isPeer(1)).isFalse();
    assertThat(peers.isPeer(2)).isTrue();
    assertThat(peers.address(3)).isNull();

    peers.add(3, "c:1");
    assertThat(peers.address(3)).isEqualTo("c:1");
    peers.add(3, "elsewhere:1");
    assertThat(peers.address(3)).as("an id's address never changes").isEqualTo("c:1");

    Set<Long> removed = Set.of(3L);
    peers.removedWhen(removed::contains);
    assertThat(peers.isPeer(3)).isFalse();
    assertThat(peers.isRemoved(3)).isTrue();
    assertThat(peers.removedMessage(3)).startsWith(PeerDirectory.REMOVED_PREFIX);
    peers.add(3, "c:1");
    assertThat(peers.address(3)).as("a removed node is not learnt again").isNull();
  }
}
