package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lease table of the replicated state: grant, attach, detach, revoke, restart. */
class KvStoreLeaseTest extends KvStoreFixture {
  static Command grant(long id, long ttlSeconds) {
    return Command.newBuilder()
        .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttlSeconds))
        .build();
  }

  static Command revoke(long id) {
    return Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)).build();
  }

  private List<String> attached(long id) {
    return store.leaseKeys(id).stream().map(k -> new String(k, UTF_8)).toList();
  }

  @Test
  void grantRecordsTheLeaseWithoutANewRevision() {
    ResponseOp response = applyOk(grant(7, 30));

    assertThat(response.getResponseRange().getHeader().getRevision()).isEqualTo(1);
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.lease(7)).isEqualTo(new Lease(7, 30));
    assertThat(store.leases()).containsExactly(new Lease(7, 30));
    assertThat(store.lease(8)).isNull();
  }

  @Test
  void grantOfAnExistingIdIsRefusedAndChangesNothing() {
    applyOk(grant(7, 30));

    assertThat(applyRejected(grant(7, 60))).isEqualTo(KvError.LEASE_EXISTS);
    assertThat(store.lease(7)).isEqualTo(new Lease(7, 30));
  }

  @Test
  void grantWithoutAnIdOrWithAHugeTtlIsRefusedAtApply() {
    assertThat(applyRejected(grant(0, 30))).isEqualTo(KvError.MALFORMED_REQUEST);
    assertThat(applyRejected(grant(5, LeaseGrants.MAX_TTL_SECONDS + 1)))
        .isEqualTo(KvError.LEASE_TTL_TOO_LARGE);
    assertThat(store.leases()).isEmpty();
  }

  @Test
  void putWithAnUnknownLeaseIsRefused() throws KvException {
    applyOk(grant(7, 30));

    assertThat(applyRejected(command(putRequest("a", "1").setLease(8))))
        .isEqualTo(KvError.LEASE_NOT_FOUND);
    assertThat(get("a")).isNull();
  }

  @Test
  void putWithALeaseAttachesTheKeyAndAnotherPutMovesIt() throws KvException {
    applyOk(grant(7, 30));
    applyOk(grant(9, 30));

    applyOk(command(putRequest("a", "1").setLease(7)));
    applyOk(command(putRequest("b", "1").setLease(7)));
    assertThat(get("a").getLease()).isEqualTo(7);
    assertThat(attached(7)).containsExactly("a", "b");

    applyOk(command(putRequest("a", "2").setLease(9)));
    assertThat(attached(7)).containsExactly("b");
    assertThat(attached(9)).containsExactly("a");

    applyOk(command(putRequest("b", "2")));
    assertThat(get("b").getLease()).isZero();
    assertThat(attached(7)).isEmpty();
  }

  @Test
  void ignoreLeaseKeepsTheKeyOnItsLease() throws KvException {
    applyOk(grant(7, 30));
    applyOk(command(putRequest("a", "1").setLease(7)));

    applyOk(command(putRequest("a", "2").setIgnoreLease(true)));

    assertThat(get("a").getLease()).isEqualTo(7);
    assertThat(attached(7)).containsExactly("a");
  }

  @Test
  void deleteDetachesTheKey() {
    applyOk(grant(7, 30));
    applyOk(command(putRequest("a", "1").setLease(7)));
    applyOk(command(putRequest("b", "1").setLease(7)));
    applyOk(command(putRequest("c", "1").setLease(7)));

    applyOk(command(deleteRequest("a")));
    applyOk(command(deleteRequest("b", "c")));

    assertThat(attached(7)).containsExactly("c");
  }

  @Test
  void revokeDeletesEveryAttachedKeyInOneRevisionAndRemovesTheLease() throws KvException {
    applyOk(grant(7, 30));
    applyOk(command(putRequest("a", "1").setLease(7)));
    applyOk(command(putRequest("b", "1").setLease(7)));
    put("c", "kept");
    long before = store.revision();

    ResponseOp response = applyOk(revoke(7));

    assertThat(response.getResponseDeleteRange().getDeleted()).isEqualTo(2);
    assertThat(response.getResponseDeleteRange().getHeader().getRevision()).isEqualTo(before + 1);
    assertThat(store.revision()).isEqualTo(before + 1);
    assertThat(get("a")).isNull();
    assertThat(get("b")).isNull();
    assertThat(get("c")).isNotNull();
    assertThat(store.lease(7)).isNull();
    assertThat(store.leaseKeys(7)).isEmpty();
    assertThat(applyRejected(command(putRequest("a", "1").setLease(7))))
        .isEqualTo(KvError.LEASE_NOT_FOUND);
  }

  @Test
  void revokeOfALeaseWithoutKeysKeepsTheRevision() {
    applyOk(grant(7, 30));

    applyOk(revoke(7));

    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.leases()).isEmpty();
  }

  @Test
  void revokeOfAnUnknownLeaseIsRefused() {
    assertThat(applyRejected(revoke(7))).isEqualTo(KvError.LEASE_NOT_FOUND);
  }

  @Test
  void txnPutsAttachToALease() throws KvException {
    applyOk(grant(7, 30));

    applyOk(
        command(
            TxnRequest.newBuilder()
                .addSuccess(op(putRequest("a", "1").setLease(7)))
                .addSuccess(op(putRequest("b", "1").setLease(7)))));

    assertThat(attached(7)).containsExactly("a", "b");
    assertThat(get("a").getLease()).isEqualTo(7);
  }

  @Test
  void extremeIdsKeepTheirKeysApart() {
    applyOk(grant(-1, 30));
    applyOk(grant(Long.MAX_VALUE, 30));
    applyOk(command(putRequest("a", "1").setLease(-1)));
    applyOk(command(putRequest("b", "1").setLease(Long.MAX_VALUE)));

    assertThat(attached(-1)).containsExactly("a");
    assertThat(attached(Long.MAX_VALUE)).containsExactly("b");
  }

  @Test
  void leasesAndAttachmentsSurviveARestart() throws KvException {
    applyOk(grant(7, 30));
    applyOk(grant(9, 5));
    applyOk(command(putRequest("a", "1").setLease(7)));

    reopen();

    assertThat(store.leases()).containsExactlyInAnyOrder(new Lease(7, 30), new Lease(9, 5));
    assertThat(attached(7)).containsExactly("a");
    applyOk(revoke(7));
    assertThat(get("a")).isNull();
  }
}
