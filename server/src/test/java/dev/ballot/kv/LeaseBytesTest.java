package dev.ballot.kv;

import static dev.ballot.kv.KvStoreLeaseTest.grant;
import static dev.ballot.kv.KvStoreLeaseTest.revoke;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.TxnRequest;
import org.junit.jupiter.api.Test;

/**
 * The bound on what one lease holds: a revoke or expiry deletes every attached key in one command,
 * held in memory until written, so a write that would attach more than 128 MiB of keys and values
 * to one lease is refused (on RocksDB, and through the subclass in memory).
 */
class LeaseBytesTest extends KvStoreFixture {
  private static final int MIB = 1 << 20;
  private static final ByteString ONE_MIB = ByteString.copyFrom(new byte[MIB]);

  @Test
  void aWriteThatWouldTakeALeasePast128MiBIsRefusedAndWritesNothing() throws KvException {
    applyOk(grant(7, 60));
    // 127 keys of 1 MiB: 127 MiB plus their keys.
    for (int i = 0; i < 127; i++) {
      applyOk(command(putRequest("k" + i, "").setValue(ONE_MIB).setLease(7)));
    }
    assertThat(store.leaseBytes(7)).isEqualTo(127L * MIB + keyBytes(127));
    long revision = store.revision();

    assertThat(applyRejected(command(putRequest("k127", "").setValue(ONE_MIB).setLease(7))))
        .isEqualTo(KvError.LEASE_TOO_LARGE);
    assertThat(get("k127")).isNull();
    assertThat(store.revision()).isEqualTo(revision);
    assertThat(store.leaseKeys(7)).hasSize(127);
    assertThat(store.leaseBytes(7)).isEqualTo(127L * MIB + keyBytes(127));

    // Without the lease, or once the lease holds less, the same key goes in.
    applyOk(command(putRequest("k127", "x")));
    applyOk(command(putRequest("k0", "small").setLease(7)));
    applyOk(command(putRequest("k127", "").setValue(ONE_MIB).setLease(7)));
    assertThat(store.leaseBytes(7)).isEqualTo(127L * MIB + keyBytes(128) + "small".length());

    // The whole lease goes in one revoke, which leaves no count behind.
    applyOk(revoke(7));
    assertThat(store.leaseBytes(7)).isZero();
    applyOk(grant(7, 60));
    assertThat(store.leaseBytes(7)).isZero();
  }

  @Test
  void theCountFollowsOverwritesMovesAndDeletesAndSurvivesARestart() throws KvException {
    applyOk(grant(7, 60));
    applyOk(grant(9, 60));
    applyOk(command(putRequest("a", "12345").setLease(7)));
    applyOk(command(putRequest("bb", "123").setLease(7)));
    assertThat(store.leaseBytes(7)).isEqualTo(1 + 5 + 2 + 3);

    applyOk(command(putRequest("a", "1").setLease(7))); // smaller value, same lease
    assertThat(store.leaseBytes(7)).isEqualTo(1 + 1 + 2 + 3);
    applyOk(command(putRequest("a", "123").setLease(9))); // moved
    assertThat(store.leaseBytes(7)).isEqualTo(2 + 3);
    assertThat(store.leaseBytes(9)).isEqualTo(1 + 3);
    applyOk(command(putRequest("bb", "9").setIgnoreLease(true))); // keeps its lease
    assertThat(store.leaseBytes(7)).isEqualTo(2 + 1);
    applyOk(command(putRequest("a", "123"))); // detached
    assertThat(store.leaseBytes(9)).isZero();
    applyOk(command(deleteRequest("a", "c")));
    assertThat(store.leaseBytes(7)).isZero();

    applyOk(command(putRequest("c", "1234").setLease(9)));
    reopen();
    assertThat(store.leaseBytes(9)).isEqualTo(1 + 4);
  }

  @Test
  void aTxnWhoseLaterPutWouldOverfillALeaseWritesNoneOfItsPuts() throws KvException {
    applyOk(grant(7, 60));
    for (int i = 0; i < 100; i++) {
      applyOk(command(putRequest("k" + i, "").setValue(ONE_MIB).setLease(7)));
    }
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    txn.addSuccess(op(putRequest("first", "1").setLease(7)));
    for (int i = 0; i < 30; i++) { // 30 more MiB: over the bound at the 28th
      txn.addSuccess(op(putRequest("t" + i, "").setValue(ONE_MIB).setLease(7)));
    }

    assertThat(applyRejected(command(txn))).isEqualTo(KvError.LEASE_TOO_LARGE);
    assertThat(get("first")).isNull();
    assertThat(get("t0")).isNull();
    assertThat(store.leaseBytes(7)).isEqualTo(100L * MIB + keyBytes(100));
  }

  /** The bytes of the keys k0 .. k(count-1). */
  private static long keyBytes(int count) {
    long bytes = 0;
    for (int i = 0; i < count; i++) {
      bytes += ("k" + i).length();
    }
    return bytes;
  }
}
