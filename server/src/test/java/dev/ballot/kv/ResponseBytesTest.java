package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.TxnRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request that would hold more than 32 MiB of keys and values is refused, the same way on every
 * node, instead of building a response bigger than the heap; ranges that hold little (keys only,
 * counts, limits) still go over any number of keys.
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
  void aDeleteOfTooManyValuesIsRejectedAndWritesNothingWithOrWithoutPrevKv() throws Exception {
    long revision = store.revision();

    // Without prev_kv too: the history keeps every deleted record (a watcher's prev_kv), and the
    // command holds them all until it is written.
    for (boolean prevKv : new boolean[] {true, false}) {
      KvError error = applyRejected(command(deleteRequest("big/", "big0").setPrevKv(prevKv)));
      assertThat(error).as("prev_kv %s", prevKv).isEqualTo(KvError.RESPONSE_TOO_LARGE);
    }

    assertThat(store.revision()).isEqualTo(revision);
    assertThat(range(rangeRequest("big/", "big0").setCountOnly(true)).getCount()).isEqualTo(KEYS);
    // In parts under the bound, it goes.
    assertThat(
            applyOk(command(deleteRequest("big/", "big/20"))).getResponseDeleteRange().getDeleted())
        .isEqualTo(KEYS / 2);
    assertThat(
            applyOk(command(deleteRequest("big/", "big0"))).getResponseDeleteRange().getDeleted())
        .isEqualTo(KEYS / 2);
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
