package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.TxnRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request that would hold more than 32 MiB of keys and values is refused, the same way on every
 * node, instead of building a response bigger than the heap; ranges that hold little (keys only,
 * counts, limits) still go over any number of keys. A delete in a txn, or with prev_kv, removes at
 * most 128 MiB.
 */
class ResponseBytesTest extends KvStoreFixture {
  private static final int KEYS = 40;
  private static final int VALUE_BYTES = 1 << 20;

  @BeforeEach
  void fill() {
    String value = "v".repeat(VALUE_BYTES);
    for (int i = 0; i < KEYS; i++) {
      put(String.format("big/%02d", i), value);
    }
  }

  private static void assertTooLarge(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            KvException.class,
            e -> {
              assertThat(e.error()).isEqualTo(KvError.RESPONSE_TOO_LARGE);
              assertThat(e.toStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
            });
  }

  @Test
  void aRangeOverTheBoundIsRefusedButKeysCountsAndLimitsAreServed() throws Exception {
    assertTooLarge(() -> range(rangeRequest("big/", "big0")));

    assertThat(range(rangeRequest("big/", "big0").setKeysOnly(true)).getKvsCount()).isEqualTo(KEYS);
    assertThat(range(rangeRequest("big/", "big0").setCountOnly(true)).getCount()).isEqualTo(KEYS);
    dev.ballot.etcd.api.RangeResponse limited = range(rangeRequest("big/", "big0").setLimit(10));
    assertThat(limited.getKvsCount()).isEqualTo(10);
    assertThat(limited.getMore()).isTrue();
    assertThat(limited.getKvs(0).getValue().size()).isEqualTo(VALUE_BYTES);
  }

  @Test
  void aDeleteThatWouldReturnTooManyPreviousValuesIsRejectedAndWritesNothing() throws Exception {
    long revision = store.revision();

    KvError error = applyRejected(command(deleteRequest("big/", "big0").setPrevKv(true)));

    assertThat(error).isEqualTo(KvError.RESPONSE_TOO_LARGE);
    assertThat(store.revision()).isEqualTo(revision);
    assertThat(range(rangeRequest("big/", "big0").setCountOnly(true)).getCount()).isEqualTo(KEYS);
    // Without prev_kv the response holds no values: 40 MiB of them go in one delete.
    assertThat(
            applyOk(command(deleteRequest("big/", "big0"))).getResponseDeleteRange().getDeleted())
        .isEqualTo(KEYS);
  }

  @Test
  void aDeleteOfMoreThan128MiBGoesThroughAloneButNotWithPrevKvOrInATxn() throws Exception {
    // A txn's delete, or one that returns its records, holds them all until it is written: what
    // it removes is bounded. A plain range delete is written in parts, and has no bound.
    String value = "v".repeat(VALUE_BYTES);
    for (int i = 0; i < 100; i++) {
      put(String.format("big/more/%03d", i), value);
    }
    long revision = store.revision();

    KvError error =
        applyRejected(
            command(TxnRequest.newBuilder().addSuccess(op(deleteRequest("big/", "big0")))));
    assertThat(error).isEqualTo(KvError.DELETE_TOO_LARGE);
    assertThat(new KvException(error).toStatus().getDescription())
        .isEqualTo(
            "etcdserver: delete removes more than 128 MiB of keys and values; delete the range in"
                + " parts");
    // With prev_kv, the response's smaller bound is passed first.
    assertThat(applyRejected(command(deleteRequest("big/", "big0").setPrevKv(true))))
        .isEqualTo(KvError.RESPONSE_TOO_LARGE);
    assertThat(store.revision()).isEqualTo(revision);
    assertThat(range(rangeRequest("big/", "big0").setCountOnly(true)).getCount())
        .isEqualTo(KEYS + 100);

    dev.ballot.etcd.api.DeleteRangeResponse deleted =
        applyOk(command(deleteRequest("big/", "big0"))).getResponseDeleteRange();
    assertThat(deleted.getDeleted()).isEqualTo(KEYS + 100);
    assertThat(deleted.getHeader().getRevision()).isEqualTo(revision + 1);
    assertThat(store.revision()).isEqualTo(revision + 1);
    assertThat(range(rangeRequest("big/", "big0").setCountOnly(true)).getCount()).isZero();
  }

  @Test
  void theOpsOfATxnShareOneBound() {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i < KEYS; i += 10) {
      txn.addSuccess(
          op(rangeRequest(String.format("big/%02d", i), String.format("big/%02d", i + 10))));
    }
    txn.addSuccess(op(putRequest("other", "x")));

    assertThat(applyRejected(command(txn))).isEqualTo(KvError.RESPONSE_TOO_LARGE);
    assertThat(store.revision()).isEqualTo(1 + KEYS);
  }
}
