package dev.ballot.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.transport.PeerDirectory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the peer directory learns from configuration entries as they are appended and applied: an
 * entry is authoritative for addresses, and a member only a discarded entry named is forgotten.
 */
class AppliedMembershipTest {
  private static final Membership THREE = MembershipTest.THREE;

  private final PeerDirectory peers = new PeerDirectory(1, "a:2", Map.of());
  private final AppliedMembership manager =
      new AppliedMembership(new Identity(1, 7, 11, THREE, false), THREE, peers, r -> {});

  private static Entry configEntry(long term, long index, Membership m) {
    return new Entry(
        term, index, EntryType.CONFIG, new ConfigEntry(m.config(), m.encode()).encode());
  }

  @Test
  void aRegistrationWhoseEntryWasDiscardedLeavesNoAddressBehind() {
    Membership withD = THREE.withLearner("d:2", "d:1", 44, "");
    manager.configAppended(configEntry(2, 10, withD));
    assertThat(peers.address(4))
        .as("the leader replicates to the learner at once")
        .isEqualTo("d:2");

    // A new leader discards entry 10 and gives id 4 to another machine.
    Membership withE = THREE.withLearner("e:2", "e:1", 55, "");
    manager.configAppended(configEntry(3, 10, withE));
    assertThat(peers.address(4)).isEqualTo("e:2");
    manager.configApplied(10, configEntry(3, 10, withE).data());
    assertThat(peers.address(4)).isEqualTo("e:2");
  }

  @Test
  void aMemberOnlyADiscardedEntryNamedIsForgotten() {
    manager.configAppended(configEntry(2, 10, THREE.withLearner("d:2", "d:1", 44, "")));
    // The new leader's entry at 10 removes member 3 instead.
    Membership withoutThree = THREE.without(3);
    manager.configAppended(configEntry(3, 10, withoutThree));

    assertThat(peers.isPeer(4)).as("4 never became a member").isFalse();
    assertThat(peers.address(3)).as("3 stays until its removal commits").isEqualTo("c:2");

    manager.configApplied(10, configEntry(3, 10, withoutThree).data());
    assertThat(peers.isPeer(3)).isFalse();
    assertThat(peers.address(2)).isEqualTo("b:2");
  }

  @Test
  void aDiscardedEntryReplacedByAnInstalledSnapshotLeavesNoAddressBehind() {
    manager.configAppended(configEntry(2, 10, THREE.withLearner("d:2", "d:1", 44, "")));
    // No entry replaced it in the log: a snapshot at 20 carries the committed configuration.
    manager.configApplied(20, configEntry(3, 15, THREE.without(2)).data());

    assertThat(peers.isPeer(4)).isFalse();
    assertThat(peers.isPeer(2)).isFalse();
    assertThat(peers.address(3)).isEqualTo("c:2");
  }
}
