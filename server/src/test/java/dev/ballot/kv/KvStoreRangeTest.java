package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeRequest.SortOrder;
import dev.ballot.etcd.api.RangeRequest.SortTarget;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import io.grpc.Status;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KvStoreRangeTest extends KvStoreFixture {
  /**
   * Revisions: a@2 (v "3"), b@3 (v "1"), c@4 (v "2"), then b again @5: b has version 2, create 3.
   * Plus "ab" @6 and "d" @7. Revision 7.
   */
  @BeforeEach
  void someKeys() {
    put("a", "3");
    put("b", "1");
    put("c", "2");
    put("b", "1");
    put("ab", "0");
    put("d", "4");
  }

  @Test
  void singleKeyRangeReturnsThatKeyOnly() throws KvException {
    RangeResponse response = range(rangeRequest("a"));

    assertThat(keys(response)).containsExactly("a");
    assertThat(response.getCount()).isEqualTo(1);
    assertThat(response.getMore()).isFalse();
    assertThat(response.getHeader().getRevision()).isEqualTo(7);
  }

  @Test
  void missingKeyGivesNothingAtTheCurrentRevision() throws KvException {
    RangeResponse response = range(rangeRequest("zz"));

    assertThat(response.getKvsList()).isEmpty();
    assertThat(response.getCount()).isZero();
    assertThat(response.getHeader().getRevision()).isEqualTo(7);
  }

  @Test
  void rangeReturnsKeysFromKeyUpToRangeEndInByteOrder() throws KvException {
    assertThat(keys(range(rangeRequest("a", "c")))).containsExactly("a", "ab", "b");
    // The prefix "a": its range end is "b".
    assertThat(keys(range(rangeRequest("a", "b")))).containsExactly("a", "ab");
  }

  @Test
  void bytesOrderUnsigned() throws KvException {
    ByteString high = ByteString.copyFrom(new byte[] {'a', (byte) 0xff});
    applyOk(
        dev.ballot.kv.proto.Command.newBuilder()
            .setPut(dev.ballot.etcd.api.PutRequest.newBuilder().setKey(high).setValue(bytes("x")))
            .build());

    RangeResponse response = range(rangeRequest("a", "b"));

    assertThat(response.getKvsList()).extracting(KeyValue::getKey).last().isEqualTo(high);
  }

  @Test
  void zeroByteRangeEndMeansEveryKeyFromKeyOn() throws KvException {
    assertThat(keys(range(rangeRequest("b", "\0")))).containsExactly("b", "c", "d");
  }

  @Test
  void zeroByteKeyAndRangeEndMeanEveryKey() throws KvException {
    RangeResponse response = range(rangeRequest("\0", "\0"));

    assertThat(keys(response)).containsExactly("a", "ab", "b", "c", "d");
    assertThat(response.getCount()).isEqualTo(5);
  }

  @Test
  void limitCutsTheResultAndSetsMoreWhileCountIsTheWholeRange() throws KvException {
    RangeResponse response = range(rangeRequest("\0", "\0").setLimit(2));

    assertThat(keys(response)).containsExactly("a", "ab");
    assertThat(response.getMore()).isTrue();
    assertThat(response.getCount()).isEqualTo(5);
  }

  @Test
  void limitOfExactlyTheCountHasNoMore() throws KvException {
    RangeResponse response = range(rangeRequest("\0", "\0").setLimit(5));

    assertThat(response.getKvsCount()).isEqualTo(5);
    assertThat(response.getMore()).isFalse();
  }

  @Test
  void keysOnlyLeavesValuesOut() throws KvException {
    RangeResponse response = range(rangeRequest("a", "c").setKeysOnly(true));

    assertThat(keys(response)).containsExactly("a", "ab", "b");
    assertThat(response.getKvsList()).allMatch(kv -> kv.getValue().isEmpty());
    assertThat(response.getKvs(2).getVersion()).isEqualTo(2);
  }

  @Test
  void countOnlyGivesTheCountAndNoKeys() throws KvException {
    RangeResponse response = range(rangeRequest("\0", "\0").setCountOnly(true).setLimit(1));

    assertThat(response.getKvsList()).isEmpty();
    assertThat(response.getCount()).isEqualTo(5);
    assertThat(response.getMore()).isFalse();
  }

  @Test
  void sortsByEachTargetBothWays() throws KvException {
    assertThat(keys(sorted(SortTarget.KEY, SortOrder.DESCEND)))
        .containsExactly("d", "c", "b", "ab", "a");
    assertThat(keys(sorted(SortTarget.KEY, SortOrder.ASCEND)))
        .containsExactly("a", "ab", "b", "c", "d");
    // Ties (version 1) keep key order.
    assertThat(keys(sorted(SortTarget.VERSION, SortOrder.DESCEND)))
        .containsExactly("b", "a", "ab", "c", "d");
    assertThat(keys(sorted(SortTarget.CREATE, SortOrder.ASCEND)))
        .containsExactly("a", "b", "c", "ab", "d");
    assertThat(keys(sorted(SortTarget.CREATE, SortOrder.DESCEND)))
        .containsExactly("d", "ab", "c", "b", "a");
    assertThat(keys(sorted(SortTarget.MOD, SortOrder.ASCEND)))
        .containsExactly("a", "c", "b", "ab", "d");
    assertThat(keys(sorted(SortTarget.VALUE, SortOrder.ASCEND)))
        .containsExactly("ab", "b", "c", "a", "d");
    assertThat(keys(sorted(SortTarget.VALUE, SortOrder.DESCEND)))
        .containsExactly("d", "a", "c", "b", "ab");
  }

  @Test
  void sortTargetWithoutOrderSortsAscending() throws KvException {
    assertThat(keys(sorted(SortTarget.MOD, SortOrder.NONE)))
        .containsExactly("a", "c", "b", "ab", "d");
  }

  @Test
  void sortComesBeforeTheLimit() throws KvException {
    RangeResponse response =
        range(
            rangeRequest("\0", "\0")
                .setSortTarget(SortTarget.KEY)
                .setSortOrder(SortOrder.DESCEND)
                .setLimit(2));

    assertThat(keys(response)).containsExactly("d", "c");
    assertThat(response.getMore()).isTrue();
    assertThat(response.getCount()).isEqualTo(5);
  }

  @Test
  void revisionFiltersDropKeysButCountStaysTheWholeRange() throws KvException {
    RangeResponse modFiltered =
        range(rangeRequest("\0", "\0").setMinModRevision(4).setMaxModRevision(6));
    RangeResponse createFiltered =
        range(rangeRequest("\0", "\0").setMinCreateRevision(3).setMaxCreateRevision(4));

    assertThat(keys(modFiltered)).containsExactly("ab", "b", "c");
    assertThat(modFiltered.getCount()).isEqualTo(5);
    assertThat(keys(createFiltered)).containsExactly("b", "c");
    assertThat(createFiltered.getCount()).isEqualTo(5);
  }

  @Test
  void filterComesBeforeTheLimit() throws KvException {
    RangeResponse response = range(rangeRequest("\0", "\0").setMinModRevision(5).setLimit(1));

    assertThat(keys(response)).containsExactly("ab");
    assertThat(response.getMore()).isTrue();
  }

  @Test
  void revisionZeroOrCurrentReadsTheCurrentState() throws KvException {
    assertThat(keys(range(rangeRequest("a").setRevision(7)))).containsExactly("a");
    assertThat(keys(range(rangeRequest("a").setRevision(0)))).containsExactly("a");
  }

  @Test
  void futureRevisionIsOutOfRange() {
    assertThatThrownBy(() -> range(rangeRequest("a").setRevision(8)))
        .isInstanceOfSatisfying(
            KvException.class,
            e -> {
              assertThat(e.error()).isEqualTo(KvError.FUTURE_REVISION);
              assertThat(e.toStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
              assertThat(e.getMessage())
                  .isEqualTo("etcdserver: mvcc: required revision is a future revision");
            });
  }

  @Test
  void revisionBeforeTheCompactionIsRefusedAsEtcdDoes() {
    applyOk(
        dev.ballot.kv.proto.Command.newBuilder()
            .setCompaction(dev.ballot.etcd.api.CompactionRequest.newBuilder().setRevision(7))
            .build());
    assertThatThrownBy(() -> range(rangeRequest("a").setRevision(6)))
        .isInstanceOfSatisfying(
            KvException.class,
            e -> {
              assertThat(e.error()).isEqualTo(KvError.COMPACTED);
              assertThat(e.getMessage())
                  .isEqualTo("etcdserver: mvcc: required revision has been compacted");
            });
  }

  @Test
  void invertedRangeIsRejected() {
    assertThatThrownBy(() -> range(rangeRequest("c", "a")))
        .isInstanceOfSatisfying(
            KvException.class,
            e -> {
              assertThat(e.error()).isEqualTo(KvError.INVERTED_RANGE);
              assertThat(e.toStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            });
    assertThatThrownBy(() -> range(rangeRequest("c", "c")))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.INVERTED_RANGE));
  }

  @Test
  void emptyKeyIsRejected() {
    assertThatThrownBy(() -> store.range(RangeRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            KvException.class,
            e -> assertThat(e.getMessage()).isEqualTo("etcdserver: key is not provided"));
  }

  private RangeResponse sorted(SortTarget target, SortOrder order) throws KvException {
    return range(rangeRequest("\0", "\0").setSortTarget(target).setSortOrder(order));
  }
}
