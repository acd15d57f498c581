package dev.ballot.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.kv.KvError;
import dev.ballot.kv.KvException;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.proto.raft.v1.LeaderRefusal;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** A refusal crosses the hop as a kind, and the client still sees etcd's exact status. */
class ForwardRefusalsTest {
  private static RouteFailure roundTrip(Throwable leaderSide) {
    return ForwardRefusals.fromWire(ForwardRefusals.toWire(leaderSide));
  }

  @Test
  void notLeaderCarriesTheHintAndIsSafeToRetry() {
    RouteFailure f = roundTrip(new NodeException(NodeException.Kind.NOT_LEADER, 3, "moved"));
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.NOT_LEADER);
    assertThat(f.leaderHint()).isEqualTo(3);
    assertThat(f.nothingDone()).isTrue();
  }

  @Test
  void aLeaderHandingOverSaysNoLeaderOnTheWire() {
    RouteFailure f =
        roundTrip(new NodeException(NodeException.Kind.HANDING_OVER, 0, "transfer to 3"));
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.NO_LEADER);
    assertThat(f.nothingDone()).isTrue();
  }

  @Test
  void noLeaderIsSafeToRetry() {
    RouteFailure f = roundTrip(new NodeException(NodeException.Kind.NO_LEADER, 0, "election"));
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.NO_LEADER);
    assertThat(f.nothingDone()).isTrue();
  }

  @Test
  void aRefusalOfTheStoreReachesTheClientAsEtcdsStatus() {
    KvException noSpace = new KvException(KvError.NO_SPACE);
    RouteFailure f = roundTrip(noSpace);
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.REFUSED);
    assertThat(f.nothingDone()).isFalse();
    assertThat(f.toStatus().getStatus().getCode()).isEqualTo(noSpace.toStatus().getCode());
    assertThat(f.toStatus().getStatus().getDescription())
        .isEqualTo(noSpace.toStatus().getDescription());
  }

  @Test
  void aLeaderChangeAfterProposingIsNotRetriedAndKeepsEtcdsMessage() {
    RouteFailure f =
        roundTrip(new NodeException(NodeException.Kind.LEADER_CHANGED, 0, "replaced entry"));
    assertThat(f.nothingDone()).isFalse();
    assertThat(f.toStatus().getStatus().getDescription())
        .isEqualTo(EtcdStatus.LEADER_CHANGED.getStatus().getDescription());
  }

  @Test
  void noResultInTimeOnTheLeaderIsAnUnknownOutcome() {
    RouteFailure f = roundTrip(new TimeoutException());
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
    assertThat(f.toStatus().getStatus().getDescription())
        .isEqualTo("etcdserver: request timed out");
  }

  @Test
  void anUnknownKindFromANewerNodeIsTreatedAsUnknownOutcome() {
    RouteFailure f =
        ForwardRefusals.fromWire(
            LeaderRefusal.newBuilder().setKindValue(99).setMessage("future kind").build());
    assertThat(f.kind()).isEqualTo(RouteFailure.Kind.OUTCOME_UNKNOWN);
  }
}
