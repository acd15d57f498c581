package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.bytes;
import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.compare;
import static dev.ballot.kv.KvStoreFixture.deleteRequest;
import static dev.ballot.kv.KvStoreFixture.op;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static dev.ballot.kv.KvStoreFixture.rangeRequest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.Compare.CompareResult;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import io.grpc.Status;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class KvRequestsTest {
  private final KvRequests requests = KvRequests.withEtcdDefaults();

  @Test
  void emptyKeyIsRejectedWherever() {
    assertRejected(() -> requests.check(command(putRequest("", "v"))), KvError.EMPTY_KEY);
    assertRejected(() -> requests.check(command(deleteRequest(""))), KvError.EMPTY_KEY);
    assertRejected(() -> KvRequests.checkRange(rangeRequest("").build()), KvError.EMPTY_KEY);
    assertRejected(
        () ->
            requests.check(
                command(TxnRequest.newBuilder().addCompare(compare("", CompareResult.EQUAL)))),
        KvError.EMPTY_KEY);
    TxnRequest.Builder nested = TxnRequest.newBuilder().addSuccess(op(rangeRequest("")));
    assertRejected(
        () -> requests.check(command(TxnRequest.newBuilder().addFailure(op(nested)))),
        KvError.EMPTY_KEY);
  }

  @Test
  void errorsCarryEtcdsStatusAndMessage() {
    KvException e = new KvException(KvError.EMPTY_KEY);

    assertThat(e.toStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.toStatus().getDescription()).isEqualTo("etcdserver: key is not provided");
    assertThat(e.getStackTrace()).isEmpty();
  }

  @Test
  void ignoreValueWithAValueOrIgnoreLeaseWithALeaseIsRejected() {
    assertRejected(
        () -> requests.check(command(putRequest("a", "v").setIgnoreValue(true))),
        KvError.VALUE_PROVIDED);
    assertRejected(
        () -> requests.check(command(putRequest("a", "").setIgnoreLease(true).setLease(1))),
        KvError.LEASE_PROVIDED);
    assertThatCode(() -> requests.check(command(putRequest("a", "").setIgnoreValue(true))))
        .doesNotThrowAnyException();
  }

  @Test
  void invertedRangeIsRejectedWherever() {
    assertRejected(
        () -> KvRequests.checkRange(rangeRequest("b", "a").build()), KvError.INVERTED_RANGE);
    assertRejected(() -> requests.check(command(deleteRequest("b", "b"))), KvError.INVERTED_RANGE);
    TxnRequest.Builder invertedCompare =
        TxnRequest.newBuilder()
            .addCompare(compare("b", CompareResult.EQUAL).setRangeEnd(bytes("a")));
    assertRejected(() -> requests.check(command(invertedCompare)), KvError.INVERTED_RANGE);
  }

  @Test
  void singleKeyFromKeyAndAllKeysRangesAreAccepted() {
    assertThatCode(
            () -> {
              KvRequests.checkRange(rangeRequest("b").build());
              KvRequests.checkRange(rangeRequest("b", "\0").build());
              KvRequests.checkRange(rangeRequest("\0", "\0").build());
              KvRequests.checkRange(rangeRequest("b", "c").build());
            })
        .doesNotThrowAnyException();
  }

  @Test
  void branchOrComparesOverTheLimitAreTooManyOps() {
    KvRequests small = new KvRequests(3, KvRequests.DEFAULT_MAX_REQUEST_BYTES);

    assertThatCode(() -> small.check(command(puts(3)))).doesNotThrowAnyException();
    assertRejected(() -> small.check(command(puts(4))), KvError.TOO_MANY_OPS);
    TxnRequest.Builder failures = TxnRequest.newBuilder().addAllFailure(puts(4).getSuccessList());
    assertRejected(() -> small.check(command(failures)), KvError.TOO_MANY_OPS);
    TxnRequest.Builder compares = TxnRequest.newBuilder();
    for (int i = 0; i < 4; i++) {
      compares.addCompare(compare("k" + i, CompareResult.EQUAL));
    }
    assertRejected(() -> small.check(command(compares)), KvError.TOO_MANY_OPS);
  }

  @Test
  void etcdsDefaultAllows128OpsPerBranch() {
    assertThatCode(() -> requests.check(command(puts(128)))).doesNotThrowAnyException();
    assertRejected(() -> requests.check(command(puts(129))), KvError.TOO_MANY_OPS);
  }

  @Test
  void nestedTxnGetsWhatItsParentLeft() {
    KvRequests small = new KvRequests(4, KvRequests.DEFAULT_MAX_REQUEST_BYTES);
    // The outer branch holds 2 ops, so the nested txn may hold 2.
    TxnRequest.Builder fits =
        TxnRequest.newBuilder().addSuccess(op(putRequest("x", "1"))).addSuccess(op(puts(2)));
    TxnRequest.Builder over =
        TxnRequest.newBuilder().addSuccess(op(putRequest("x", "1"))).addSuccess(op(puts(3)));

    assertThatCode(() -> small.check(command(fits))).doesNotThrowAnyException();
    assertRejected(() -> small.check(command(over)), KvError.TOO_MANY_OPS);
  }

  @Test
  void sameKeyPutTwiceIsADuplicate() {
    assertDuplicate(txn(op(putRequest("a", "1")), op(putRequest("a", "2"))));
  }

  @Test
  void putInsideADeletedRangeIsADuplicate() {
    assertDuplicate(txn(op(putRequest("a", "1")), op(deleteRequest("a"))));
    assertDuplicate(txn(op(deleteRequest("a", "c")), op(putRequest("b", "1"))));
    // etcd misses this one; Ballot does not.
    assertDuplicate(txn(op(deleteRequest("a", "\0")), op(putRequest("zz", "1"))));
  }

  @Test
  void putOutsideTheDeletedRangeIsAccepted() {
    assertAccepted(txn(op(deleteRequest("a", "c")), op(putRequest("c", "1"))));
    assertAccepted(txn(op(deleteRequest("b", "\0")), op(putRequest("a", "1"))));
    assertAccepted(txn(op(deleteRequest("a")), op(putRequest("a\0", "1"))));
  }

  @Test
  void overlappingDeletesAreAccepted() {
    assertAccepted(
        txn(op(deleteRequest("a", "c")), op(deleteRequest("b")), op(deleteRequest("a", "\0"))));
  }

  @Test
  void nestedPutAgainstAnOuterWriteIsADuplicate() {
    assertDuplicate(txn(op(putRequest("a", "1")), op(txn(op(putRequest("a", "2"))))));
    assertDuplicate(txn(op(deleteRequest("a", "b")), op(txn(op(putRequest("a", "2"))))));
    assertDuplicate(txn(op(putRequest("a", "1")), op(txn(op(deleteRequest("a"))))));
    TxnRequest.Builder inFailure = TxnRequest.newBuilder().addFailure(op(putRequest("a", "2")));
    assertDuplicate(txn(op(putRequest("a", "1")), op(inFailure)));
  }

  @Test
  void bothBranchesOfANestedTxnMayPutTheSameKey() {
    TxnRequest.Builder nested =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addFailure(op(putRequest("a", "2")));
    assertAccepted(txn(op(nested)));
  }

  @Test
  void theTwoTopLevelBranchesAreCheckedApart() {
    TxnRequest.Builder branches =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addFailure(op(putRequest("a", "2")));
    assertAccepted(branches);
  }

  @Test
  void emptyOpIsRejectedAsEtcdDoes() {
    assertRejected(
        () ->
            requests.check(
                command(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance()))),
        KvError.KEY_NOT_FOUND);
  }

  @Test
  void commandOverTheSizeLimitIsTooLarge() {
    KvRequests small = new KvRequests(KvRequests.DEFAULT_MAX_TXN_OPS, 100);
    Command fits = command(putRequest("k", "v".repeat(90)));
    Command over = command(putRequest("k", "v".repeat(100)));

    assertThat(fits.getSerializedSize()).isLessThanOrEqualTo(100);
    assertThatCode(() -> small.check(fits)).doesNotThrowAnyException();
    assertRejected(() -> small.check(over), KvError.REQUEST_TOO_LARGE);
  }

  @Test
  void etcdsDefaultSizeLimitIsOneAndAHalfMebibytes() {
    assertThat(KvRequests.DEFAULT_MAX_REQUEST_BYTES).isEqualTo(1_572_864);
    assertRejected(
        () -> requests.check(command(putRequest("k", "v".repeat(1_572_864)))),
        KvError.REQUEST_TOO_LARGE);
  }

  @Test
  void commandWithoutOperationIsMalformed() {
    // A forwarded command from a newer node, or garbage that happens to decode.
    assertRejected(() -> requests.check(Command.getDefaultInstance()), KvError.MALFORMED_REQUEST);
  }

  private static TxnRequest.Builder puts(int count) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      txn.addSuccess(op(putRequest("k" + i, "v")));
    }
    return txn;
  }

  private static TxnRequest.Builder txn(RequestOp... ops) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (RequestOp op : ops) {
      txn.addSuccess(op);
    }
    return txn;
  }

  private void assertDuplicate(TxnRequest.Builder txn) {
    assertRejected(() -> requests.check(command(txn)), KvError.DUPLICATE_KEY);
  }

  /** A txn nested {@code levels} deep (the outermost counts), with a put at the bottom. */
  static TxnRequest.Builder nestedTxn(int levels, String key) {
    TxnRequest.Builder txn = TxnRequest.newBuilder().addSuccess(op(putRequest(key, "v")));
    for (int level = 2; level <= levels; level++) {
      txn = TxnRequest.newBuilder().addSuccess(op(txn));
    }
    return txn;
  }

  @Test
  void txnNestingIsBoundedExplicitly() {
    assertAccepted(nestedTxn(KvRequests.MAX_TXN_DEPTH, "k"));
    assertRejected(
        () -> requests.check(command(nestedTxn(KvRequests.MAX_TXN_DEPTH + 1, "k"))),
        KvError.TXN_TOO_DEEP);
    // The case that stopped every node: 50 levels, a put at the bottom.
    assertRejected(() -> requests.logBytes(command(nestedTxn(50, "k"))), KvError.TXN_TOO_DEEP);
    assertThat(KvError.TXN_TOO_DEEP.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void compareAndOpsAreBoundedOverEveryLevelTogether() {
    // 8 nested txns of 127 puts each: within etcd's per-level rule, over the total.
    TxnRequest.Builder top = TxnRequest.newBuilder();
    for (int t = 0; t < 8; t++) {
      TxnRequest.Builder inner = TxnRequest.newBuilder();
      for (int i = 0; i < 127; i++) {
        inner.addSuccess(op(putRequest("k" + t + "/" + i, "v")));
      }
      top.addFailure(op(inner));
    }
    assertRejected(() -> requests.check(command(top)), KvError.TOO_MANY_OPS);
  }

  @Test
  void logBytesAreCheckedAsTheyWillBeDecoded() throws Exception {
    Command put = command(putRequest("a", "v"));
    assertThat(requests.logBytes(put)).isEqualTo(put.toByteArray());
    assertThat(requests.checkLogBytes(put.toByteArray())).isEqualTo(put.toByteArray());

    assertRejected(
        () -> requests.checkLogBytes(new byte[] {(byte) 0xff, 0x01, 0x02}),
        KvError.MALFORMED_REQUEST);
    assertRejected(() -> requests.checkLogBytes(new byte[0]), KvError.MALFORMED_REQUEST);
    byte[] truncated = java.util.Arrays.copyOf(put.toByteArray(), put.getSerializedSize() - 1);
    assertRejected(() -> requests.checkLogBytes(truncated), KvError.MALFORMED_REQUEST);
  }

  @Test
  void aForwardedCommandGetsTheSameAnswerAsOneMadeHere() {
    Command deep = command(nestedTxn(KvRequests.MAX_TXN_DEPTH + 1, "k"));
    assertRejected(() -> requests.logBytes(deep), KvError.TXN_TOO_DEEP);
    assertRejected(() -> requests.checkLogBytes(deep.toByteArray()), KvError.TXN_TOO_DEEP);
  }

  private void assertAccepted(TxnRequest.Builder txn) {
    assertThatCode(() -> requests.check(command(txn))).doesNotThrowAnyException();
  }

  private static void assertRejected(ThrowingCallable check, KvError expected) {
    assertThatThrownBy(check)
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.error()).isEqualTo(expected));
  }
}
