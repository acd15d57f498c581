package dev.ballot.kv;

import static dev.ballot.etcd.api.Compare.CompareResult.EQUAL;
import static dev.ballot.etcd.api.Compare.CompareResult.GREATER;
import static dev.ballot.etcd.api.Compare.CompareResult.LESS;
import static dev.ballot.etcd.api.Compare.CompareResult.NOT_EQUAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.Compare.CompareResult;
import dev.ballot.etcd.api.Compare.CompareTarget;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KvStoreTxnTest extends KvStoreFixture {
  /** "k": created at 2, modified at 3, version 2, value "v2", lease 0. "l" at 4. Revision 4. */
  @BeforeEach
  void someKeys() {
    put("k", "v1");
    put("k", "v2");
    put("l", "w");
  }

  static Stream<Arguments> comparesOnAnExistingKey() {
    return Stream.of(
        Arguments.of(compare("k", EQUAL).setTarget(CompareTarget.VERSION).setVersion(2), true),
        Arguments.of(compare("k", NOT_EQUAL).setTarget(CompareTarget.VERSION).setVersion(2), false),
        Arguments.of(compare("k", GREATER).setTarget(CompareTarget.VERSION).setVersion(1), true),
        Arguments.of(compare("k", LESS).setTarget(CompareTarget.VERSION).setVersion(2), false),
        Arguments.of(
            compare("k", EQUAL).setTarget(CompareTarget.CREATE).setCreateRevision(2), true),
        Arguments.of(
            compare("k", GREATER).setTarget(CompareTarget.CREATE).setCreateRevision(2), false),
        Arguments.of(compare("k", LESS).setTarget(CompareTarget.CREATE).setCreateRevision(3), true),
        Arguments.of(compare("k", EQUAL).setTarget(CompareTarget.MOD).setModRevision(3), true),
        Arguments.of(compare("k", NOT_EQUAL).setTarget(CompareTarget.MOD).setModRevision(2), true),
        Arguments.of(compare("k", LESS).setTarget(CompareTarget.MOD).setModRevision(3), false),
        Arguments.of(
            compare("k", EQUAL).setTarget(CompareTarget.VALUE).setValue(bytes("v2")), true),
        Arguments.of(
            compare("k", NOT_EQUAL).setTarget(CompareTarget.VALUE).setValue(bytes("v2")), false),
        Arguments.of(
            compare("k", GREATER).setTarget(CompareTarget.VALUE).setValue(bytes("v1")), true),
        Arguments.of(compare("k", LESS).setTarget(CompareTarget.VALUE).setValue(bytes("v3")), true),
        Arguments.of(compare("k", EQUAL).setTarget(CompareTarget.LEASE).setLease(0), true),
        Arguments.of(compare("k", GREATER).setTarget(CompareTarget.LEASE).setLease(-1), true),
        Arguments.of(compare("k", LESS).setTarget(CompareTarget.LEASE).setLease(0), false),
        // An operand of another target than the compare's counts as 0.
        Arguments.of(
            compare("k", GREATER).setTarget(CompareTarget.VERSION).setValue(bytes("x")), true));
  }

  @ParameterizedTest
  @MethodSource
  void comparesOnAnExistingKey(Compare.Builder compare, boolean holds) {
    assertThat(succeeded(compare)).isEqualTo(holds);
  }

  static Stream<Arguments> comparesOnAMissingKey() {
    return Stream.of(
        Arguments.of(CompareTarget.VERSION, EQUAL, true),
        Arguments.of(CompareTarget.VERSION, GREATER, false),
        Arguments.of(CompareTarget.CREATE, EQUAL, true),
        Arguments.of(CompareTarget.MOD, LESS, false),
        Arguments.of(CompareTarget.LEASE, EQUAL, true),
        // A missing key has no value, not an empty one: every VALUE compare fails.
        Arguments.of(CompareTarget.VALUE, EQUAL, false),
        Arguments.of(CompareTarget.VALUE, NOT_EQUAL, false),
        Arguments.of(CompareTarget.VALUE, GREATER, false),
        Arguments.of(CompareTarget.VALUE, LESS, false));
  }

  @ParameterizedTest
  @MethodSource
  void comparesOnAMissingKey(CompareTarget target, CompareResult result, boolean holds) {
    assertThat(succeeded(compare("missing", result).setTarget(target))).isEqualTo(holds);
  }

  @Test
  void compareOverARangeHoldsOnlyIfEveryKeyHolds() {
    Compare.Builder versionAboveZero =
        compare("a", GREATER)
            .setTarget(CompareTarget.VERSION)
            .setVersion(0)
            .setRangeEnd(bytes("z"));
    Compare.Builder versionAboveOne =
        compare("a", GREATER)
            .setTarget(CompareTarget.VERSION)
            .setVersion(1)
            .setRangeEnd(bytes("z"));
    Compare.Builder fromKey =
        compare("l", EQUAL).setTarget(CompareTarget.VERSION).setVersion(1).setRangeEnd(bytes("\0"));

    assertThat(succeeded(versionAboveZero)).isTrue();
    assertThat(succeeded(versionAboveOne)).isFalse();
    assertThat(succeeded(fromKey)).isTrue();
  }

  @Test
  void compareOverAnEmptyRangeJudgesAMissingKey() {
    Compare.Builder versionZero =
        compare("m", EQUAL).setTarget(CompareTarget.VERSION).setRangeEnd(bytes("z"));
    Compare.Builder anyValue =
        compare("m", NOT_EQUAL)
            .setTarget(CompareTarget.VALUE)
            .setValue(bytes("x"))
            .setRangeEnd(bytes("z"));

    assertThat(succeeded(versionZero)).isTrue();
    assertThat(succeeded(anyValue)).isFalse();
  }

  @Test
  void allComparesMustHoldForTheSuccessBranch() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addCompare(compare("k", EQUAL).setTarget(CompareTarget.VERSION).setVersion(2))
            .addCompare(compare("l", EQUAL).setTarget(CompareTarget.VERSION).setVersion(5))
            .addSuccess(op(putRequest("ok", "1")))
            .addFailure(op(putRequest("failed", "1")))
            .addFailure(op(rangeRequest("failed")));

    TxnResponse response = applyOk(command(txn)).getResponseTxn();

    assertThat(response.getSucceeded()).isFalse();
    assertThat(response.getResponsesCount()).isEqualTo(2);
    assertThat(response.getResponses(1).getResponseRange().getKvs(0).getModRevision()).isEqualTo(5);
  }

  @Test
  void opsSeeTheWritesOfEarlierOpsInTheSameTxn() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("k", "v3").setPrevKv(true)))
            .addSuccess(op(rangeRequest("k")))
            .addSuccess(op(deleteRequest("l").setPrevKv(true)))
            .addSuccess(op(rangeRequest("a", "z")));

    TxnResponse response = applyOk(command(txn)).getResponseTxn();

    assertThat(response.getHeader().getRevision()).isEqualTo(5);
    assertThat(text(response.getResponses(0).getResponsePut().getPrevKv().getValue()))
        .isEqualTo("v2");
    RangeResponse k = response.getResponses(1).getResponseRange();
    assertThat(k.getHeader().getRevision()).isEqualTo(5);
    assertThat(text(k.getKvs(0).getValue())).isEqualTo("v3");
    assertThat(k.getKvs(0).getVersion()).isEqualTo(3);
    assertThat(k.getKvs(0).getModRevision()).isEqualTo(5);
    assertThat(response.getResponses(2).getResponseDeleteRange().getDeleted()).isEqualTo(1);
    assertThat(keys(response.getResponses(3).getResponseRange())).containsExactly("k");
  }

  @Test
  void allWritesOfATxnShareOneNewRevision() throws KvException {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(putRequest("b", "2")))
            .addSuccess(op(deleteRequest("l")));

    TxnResponse response = applyOk(command(txn)).getResponseTxn();

    assertThat(response.getHeader().getRevision()).isEqualTo(5);
    assertThat(store.revision()).isEqualTo(5);
    assertThat(get("a").getModRevision()).isEqualTo(5);
    assertThat(get("b").getModRevision()).isEqualTo(5);
    assertThat(response.getResponsesList()).allSatisfy(r -> assertThat(revisionOf(r)).isEqualTo(5));
  }

  @Test
  void txnThatWritesNothingKeepsTheRevision() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(deleteRequest("missing")))
            .addSuccess(op(rangeRequest("k")));

    TxnResponse response = applyOk(command(txn)).getResponseTxn();

    assertThat(response.getHeader().getRevision()).isEqualTo(4);
    assertThat(store.revision()).isEqualTo(4);
    assertThat(store.appliedIndex()).isEqualTo(4);
  }

  @Test
  void deleteOfNothingAfterAWriteAnswersTheNewRevision() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(deleteRequest("missing")));

    TxnResponse response = applyOk(command(txn)).getResponseTxn();

    assertThat(response.getResponses(1).getResponseDeleteRange().getHeader().getRevision())
        .isEqualTo(5);
  }

  @Test
  void rangePinnedToTheCurrentRevisionReadsTheStateBeforeTheTxn() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(rangeRequest("a").setRevision(4)));

    RangeResponse range = applyOk(command(txn)).getResponseTxn().getResponses(1).getResponseRange();

    assertThat(range.getKvsList()).isEmpty();
    assertThat(range.getHeader().getRevision()).isEqualTo(5);
  }

  @Test
  void nestedTxnComparesTheStateBeforeTheOuterTxnAndSharesItsRevision() throws KvException {
    TxnRequest.Builder nested =
        TxnRequest.newBuilder()
            .addCompare(compare("a", EQUAL).setTarget(CompareTarget.VERSION).setVersion(0))
            .addSuccess(op(putRequest("b", "2")))
            .addFailure(op(putRequest("c", "3")));
    TxnRequest.Builder outer =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(nested))
            .addSuccess(op(rangeRequest("a", "c")));

    TxnResponse response = applyOk(command(outer)).getResponseTxn();

    TxnResponse inner = response.getResponses(1).getResponseTxn();
    assertThat(inner.getSucceeded()).isTrue();
    assertThat(inner.getHeader()).isEqualTo(ResponseHeader.getDefaultInstance());
    assertThat(revisionOf(inner.getResponses(0))).isEqualTo(5);
    assertThat(keys(response.getResponses(2).getResponseRange())).containsExactly("a", "b");
    assertThat(get("b").getModRevision()).isEqualTo(5);
    assertThat(store.revision()).isEqualTo(5);
  }

  @Test
  void rejectedOpDiscardsTheWholeTxn() throws KvException {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(putRequest("missing", "").setIgnoreValue(true)));

    assertThat(applyRejected(command(txn))).isEqualTo(KvError.KEY_NOT_FOUND);

    assertThat(get("a")).isNull();
    assertThat(store.revision()).isEqualTo(4);
    assertThat(store.appliedIndex()).isEqualTo(4);
  }

  @Test
  void rangeOfAFutureOrCompactedRevisionRejectsTheTxn() throws KvException {
    TxnRequest.Builder future =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(rangeRequest("a").setRevision(5)));
    TxnRequest.Builder old =
        TxnRequest.newBuilder()
            .addSuccess(op(putRequest("a", "1")))
            .addSuccess(op(rangeRequest("k").setRevision(3)));

    assertThat(applyRejected(command(future))).isEqualTo(KvError.FUTURE_REVISION);
    long revision = store.revision();
    applyOk(
        dev.ballot.kv.proto.Command.newBuilder()
            .setCompaction(dev.ballot.etcd.api.CompactionRequest.newBuilder().setRevision(revision))
            .build());
    assertThat(applyRejected(command(old))).isEqualTo(KvError.COMPACTED);
    assertThat(get("a")).isNull();
  }

  @Test
  void putWithALeaseInATxnIsRejected() {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder().addSuccess(op(putRequest("a", "1").setLease(3)));

    assertThat(applyRejected(command(txn))).isEqualTo(KvError.LEASE_NOT_FOUND);
  }

  @Test
  void readTxnServesRangesWithoutTheLog() throws KvException {
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addCompare(compare("k", EQUAL).setTarget(CompareTarget.VALUE).setValue(bytes("v2")))
            .addSuccess(op(rangeRequest("k")))
            .addSuccess(op(TxnRequest.newBuilder().addSuccess(op(rangeRequest("l")))))
            .build();

    TxnResponse response = store.readTxn(txn);

    assertThat(response.getSucceeded()).isTrue();
    assertThat(response.getHeader().getRevision()).isEqualTo(4);
    assertThat(keys(response.getResponses(0).getResponseRange())).containsExactly("k");
    assertThat(keys(response.getResponses(1).getResponseTxn().getResponses(0).getResponseRange()))
        .containsExactly("l");
    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  @Test
  void readTxnRefusesWrites() {
    TxnRequest txn =
        TxnRequest.newBuilder()
            .addFailure(op(TxnRequest.newBuilder().addSuccess(op(putRequest("a", "1")))))
            .build();

    assertThat(KvRequests.isReadOnly(txn)).isFalse();
    assertThatThrownBy(() -> store.readTxn(txn)).isInstanceOf(IllegalArgumentException.class);
  }

  private boolean succeeded(Compare.Builder compare) {
    TxnRequest.Builder txn =
        TxnRequest.newBuilder()
            .addCompare(compare)
            .addSuccess(op(rangeRequest("k")))
            .addFailure(op(rangeRequest("l")));
    TxnResponse response = applyOk(command(txn)).getResponseTxn();
    assertThat(store.revision()).isEqualTo(4);
    return response.getSucceeded();
  }

  private static long revisionOf(dev.ballot.etcd.api.ResponseOp response) {
    return switch (response.getResponseCase()) {
      case RESPONSE_PUT -> response.getResponsePut().getHeader().getRevision();
      case RESPONSE_DELETE_RANGE -> response.getResponseDeleteRange().getHeader().getRevision();
      case RESPONSE_RANGE -> response.getResponseRange().getHeader().getRevision();
      case RESPONSE_TXN -> response.getResponseTxn().getHeader().getRevision();
      case RESPONSE_NOT_SET -> throw new IllegalArgumentException("empty response");
    };
  }
}
