package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.LeaseGrantRequest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LeaseGrantsTest {
  private final LeaseGrants grants = new LeaseGrants(2, new Random(1));

  private static LeaseGrantRequest request(long id, long ttl) {
    return LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl).build();
  }

  @Test
  void minimumTtlIsOneAndAHalfElectionTimeoutsRoundedUp() {
    assertThat(LeaseGrants.minTtlSeconds(500)).isEqualTo(1);
    assertThat(LeaseGrants.minTtlSeconds(1000)).isEqualTo(2);
    assertThat(LeaseGrants.minTtlSeconds(3000)).isEqualTo(5);
  }

  @Test
  void aTtlBelowTheMinimumIsRaisedToIt() throws KvException {
    assertThat(grants.prepare(request(5, 1), id -> false).getTTL()).isEqualTo(2);
    assertThat(grants.prepare(request(5, -3), id -> false).getTTL()).isEqualTo(2);
    assertThat(grants.prepare(request(5, 60), id -> false).getTTL()).isEqualTo(60);
  }

  @Test
  void aTtlAboveEtcdsMaximumIsRefused() {
    assertThatThrownBy(
            () -> grants.prepare(request(5, LeaseGrants.MAX_TTL_SECONDS + 1), id -> false))
        .isInstanceOf(KvException.class)
        .hasMessage("etcdserver: too large lease TTL");
  }

  @Test
  void theClientsIdIsKeptEvenIfInUseSoThatApplyRefusesIt() throws KvException {
    assertThat(grants.prepare(request(5, 10), id -> true).getID()).isEqualTo(5);
  }

  @Test
  void aChosenIdIsPositiveAndNotInUse() throws KvException {
    long first = grants.prepare(request(0, 10), id -> false).getID();
    long second = grants.prepare(request(0, 10), id -> id == first).getID();

    assertThat(first).isPositive();
    assertThat(second).isPositive().isNotEqualTo(first);
  }
}
