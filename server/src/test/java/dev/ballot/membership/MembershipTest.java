package dev.ballot.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.proto.raft.v1.MemberInfo;
import dev.ballot.proto.raft.v1.NodeIdentity;
import dev.ballot.raft.ClusterConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class MembershipTest {
  /** Members 1, 2, 3 (temporary ids 11, 22, 33), all voters. */
  static final Membership THREE =
      new Membership(
          List.of(
              new Membership.Member(1, "a:2", "a:1", false, 11),
              new Membership.Member(2, "b:2", "b:1", false, 22),
              new Membership.Member(3, "c:2", "c:1", false, 33)),
          3);

  @Test
  void aJoinerGetsTheNextIdAsALearnerAndIdsAreNeverReused() {
    Membership joined = THREE.withLearner("d:2", "d:1", 44, "");
    assertThat(joined.member(4)).get().extracting(Membership.Member::learner).isEqualTo(true);
    assertThat(joined.config()).isEqualTo(new ClusterConfig(List.of(1L, 2L, 3L), List.of(4L)));
    assertThat(joined.byTempId(44)).get().extracting(Membership.Member::id).isEqualTo(4L);

    Membership shrunk = joined.without(4).without(3);
    assertThat(shrunk.removed(3)).isTrue();
    assertThat(shrunk.removed(4)).isTrue();
    assertThat(shrunk.removed(5)).as("never given out yet").isFalse();
    assertThat(shrunk.withLearner("e:2", "e:1", 55, "").member(5)).isPresent();
  }

  @Test
  void promotionMakesALearnerAVoter() {
    Membership promoted = THREE.withLearner("d:2", "d:1", 44, "").promoted(4);
    assertThat(promoted.config().voters()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(promoted.config().learners()).isEmpty();
    assertThatThrownBy(() -> THREE.config().changeTo(promoted.config()))
        .as("adding straight as a voter is not a single-server change Ballot makes")
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void survivesItsEncoding() {
    Membership m = THREE.withLearner("d:2", "d:1", 44, "").without(2);
    assertThat(Membership.decode(m.encode())).isEqualTo(m);
    assertThatThrownBy(() -> Membership.decode(new byte[] {(byte) 0xff, 1, 2}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMemberKeepsItsNameThroughPromotionAddressChangeAndEncoding() {
    Membership m =
        THREE.withLearner("d:2", "d:1", 44, "db-east-4").promoted(4).withPeerAddr(4, "d:9");
    assertThat(m.member(4).orElseThrow().name()).isEqualTo("db-east-4");
    assertThat(m.member(4).orElseThrow().displayName()).isEqualTo("db-east-4");
    assertThat(Membership.decode(m.encode()).member(4).orElseThrow().name()).isEqualTo("db-east-4");
    assertThat(m.member(1).orElseThrow().name()).as("started without --name").isEmpty();
    assertThat(m.member(1).orElseThrow().displayName()).isEqualTo("node1");
  }

  @Test
  void refusesIdsBeyondTheHighestGivenOut() {
    assertThatThrownBy(
            () -> new Membership(List.of(new Membership.Member(4, "a", "b", false, 1)), 3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anIdentityWrittenBeforeMembershipChangesReadsAsAllVoters() {
    byte[] old =
        NodeIdentity.newBuilder()
            .setNodeId(2)
            .setClusterId(0xabc)
            .setTempId(7)
            .addMembers(MemberInfo.newBuilder().setId(1).setPeerAddr("a:2").setClientAddr("a:1"))
            .addMembers(MemberInfo.newBuilder().setId(2).setPeerAddr("b:2").setClientAddr("b:1"))
            .build()
            .toByteArray();
    Identity identity = Identity.decode(old);
    assertThat(identity.initialMembership().maxNodeId()).isEqualTo(2);
    assertThat(identity.initialMembership().config())
        .isEqualTo(ClusterConfig.ofVoters(List.of(1L, 2L)));
    assertThat(identity.removed()).isFalse();
    Identity removed = identity.markedRemoved();
    assertThat(Identity.decode(removed.encode())).isEqualTo(removed);
    assertThat(Identity.decode(removed.encode()).removed()).isTrue();
  }
}
