package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.api.TxnRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KvStore#hash}: equal data at equal revisions hash alike on two stores. */
class KvStoreHashTest extends KvStoreFixture {
  @TempDir Path otherDir;
  private KvStoreDisk otherDisk;
  private KvStore other;
  private long otherIndex;

  @BeforeEach
  void openOtherStore() {
    otherDisk = newDisk(otherDir);
    other = new KvStore(otherDisk.open());
  }

  @AfterEach
  void closeOtherStore() {
    other.close();
    otherDisk.close();
  }

  @Test
  void sameWritesGiveTheSameHashAtTheSameRevision() throws KvException {
    put("a", "1");
    put("b", "2");
    put("a", "3");
    putOther("a", "1");
    putOther("b", "2");
    putOther("a", "3");

    KvHash mine = store.hash(0);
    assertThat(mine).isEqualTo(other.hash(0));
    assertThat(mine.revision()).isEqualTo(4);
  }

  @Test
  void hashDoesNotDependOnTheOrderKeysWereWritten() throws KvException {
    // One txn writes every key at the same revision, so only the order of writing differs.
    applyOk(
        command(
            TxnRequest.newBuilder()
                .addSuccess(op(putRequest("c", "3")))
                .addSuccess(op(putRequest("a", "1")))
                .addSuccess(op(putRequest("b", "2")))));
    applyOther(
        command(
            TxnRequest.newBuilder()
                .addSuccess(op(putRequest("a", "1")))
                .addSuccess(op(putRequest("b", "2")))
                .addSuccess(op(putRequest("c", "3")))));

    assertThat(store.hash(0)).isEqualTo(other.hash(0));
  }

  @Test
  void anotherValueKeyOrVersionChangesTheHash() throws KvException {
    put("a", "1");
    putOther("a", "2");
    assertThat(store.hash(0).hash()).isNotEqualTo(other.hash(0).hash());

    putOther("a", "1"); // same value back, but version 2 and another mod revision
    put("b", "1");
    assertThat(store.hash(0).revision()).isEqualTo(other.hash(0).revision());
    assertThat(store.hash(0).hash()).isNotEqualTo(other.hash(0).hash());
  }

  @Test
  void deletingEveryKeyHashesLikeAnEmptyStore() throws KvException {
    int empty = store.hash(0).hash();
    put("a", "1");
    assertThat(store.hash(0).hash()).isNotEqualTo(empty);

    applyOk(command(deleteRequest("a")));

    assertThat(store.hash(0)).isEqualTo(new KvHash(empty, 3, 0));
  }

  @Test
  void hashOfAnOlderRevisionIsThatOfItsStateUntilCompacted() throws KvException {
    put("a", "1");
    KvHash atTwo = store.hash(0);
    put("a", "2");

    assertThat(store.hash(3)).isEqualTo(store.hash(0));
    assertThat(store.hash(2)).isEqualTo(atTwo);
    assertThatThrownBy(() -> store.hash(4))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.FUTURE_REVISION));

    applyOk(
        dev.ballot.kv.proto.Command.newBuilder()
            .setCompaction(dev.ballot.etcd.api.CompactionRequest.newBuilder().setRevision(3))
            .build());
    assertThatThrownBy(() -> store.hash(2))
        .isInstanceOfSatisfying(
            KvException.class, e -> assertThat(e.error()).isEqualTo(KvError.COMPACTED));
    assertThat(store.hash(3).compactRevision()).isEqualTo(3);
  }

  @Test
  void hashSurvivesAReopen() throws KvException {
    put("a", "1");
    put("b", "2");
    KvHash before = store.hash(0);

    reopen();

    assertThat(store.hash(0)).isEqualTo(before);
  }

  private void putOther(String key, String value) {
    applyOther(command(putRequest(key, value)));
  }

  private void applyOther(dev.ballot.kv.proto.Command command) {
    ApplyResult result = other.apply(++otherIndex, command);
    assertThat(result.error()).as("apply error on the other store").isNull();
  }
}
