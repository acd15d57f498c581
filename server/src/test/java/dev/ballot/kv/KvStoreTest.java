package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KvStoreTest extends KvStoreFixture {
  @Test
  void freshStoreIsAtRevisionOneWithNothingApplied() throws KvException {
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.appliedIndex()).isZero();
    assertThat(range(rangeRequest("a")).getHeader().getRevision()).isEqualTo(1);
  }

  @Test
  void putCreatesKeyAtNextRevisionWithVersionOne() throws KvException {
    long revision = put("a", "1");

    assertThat(revision).isEqualTo(2);
    assertThat(store.revision()).isEqualTo(2);
    assertThat(get("a"))
        .isEqualTo(
            KeyValue.newBuilder()
                .setKey(bytes("a"))
                .setValue(bytes("1"))
                .setCreateRevision(2)
                .setModRevision(2)
                .setVersion(1)
                .build());
  }

  @Test
  void putOverExistingKeyKeepsCreateRevisionAndBumpsVersionAndModRevision() throws KvException {
    put("a", "1");
    put("b", "x");
    put("a", "2");

    KeyValue a = get("a");
    assertThat(a.getCreateRevision()).isEqualTo(2);
    assertThat(a.getModRevision()).isEqualTo(4);
    assertThat(a.getVersion()).isEqualTo(2);
    assertThat(text(a.getValue())).isEqualTo("2");
    assertThat(a.getLease()).isZero();
  }

  @Test
  void deleteRemovesKeyAndRecreateStartsAtVersionOneWithNewCreateRevision() throws KvException {
    put("a", "1");
    put("a", "2");
    DeleteRangeResponse deleted = applyOk(command(deleteRequest("a"))).getResponseDeleteRange();
    assertThat(deleted.getDeleted()).isEqualTo(1);
    assertThat(deleted.getHeader().getRevision()).isEqualTo(4);
    assertThat(get("a")).isNull();

    put("a", "3");

    KeyValue a = get("a");
    assertThat(a.getCreateRevision()).isEqualTo(5);
    assertThat(a.getModRevision()).isEqualTo(5);
    assertThat(a.getVersion()).isEqualTo(1);
  }

  @Test
  void deleteOfNothingDoesNotBumpRevision() {
    put("a", "1");

    DeleteRangeResponse single = applyOk(command(deleteRequest("b"))).getResponseDeleteRange();
    DeleteRangeResponse range =
        applyOk(command(deleteRequest("c", "z").setPrevKv(true))).getResponseDeleteRange();

    assertThat(single.getDeleted()).isZero();
    assertThat(single.getHeader().getRevision()).isEqualTo(2);
    assertThat(range.getDeleted()).isZero();
    assertThat(range.getPrevKvsList()).isEmpty();
    assertThat(store.revision()).isEqualTo(2);
    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  @Test
  void deleteRangeDeletesEveryKeyInOneRevisionAndReturnsPrevKvs() throws KvException {
    put("a", "1");
    put("b", "2");
    put("c", "3");

    DeleteRangeResponse deleted =
        applyOk(command(deleteRequest("a", "c").setPrevKv(true))).getResponseDeleteRange();

    assertThat(deleted.getDeleted()).isEqualTo(2);
    assertThat(deleted.getHeader().getRevision()).isEqualTo(5);
    assertThat(deleted.getPrevKvsList())
        .extracting(kv -> text(kv.getKey()), kv -> text(kv.getValue()), KeyValue::getModRevision)
        .containsExactly(tuple("a", "1", 2L), tuple("b", "2", 3L));
    assertThat(keys(range(rangeRequest("\0", "\0")))).containsExactly("c");
    assertThat(store.revision()).isEqualTo(5);
  }

  @Test
  void deleteWithoutPrevKvReturnsNoPrevKvs() {
    put("a", "1");

    DeleteRangeResponse deleted = applyOk(command(deleteRequest("a"))).getResponseDeleteRange();

    assertThat(deleted.getDeleted()).isEqualTo(1);
    assertThat(deleted.getPrevKvsList()).isEmpty();
  }

  @Test
  void fromKeyDeleteRemovesEveryKeyFromTheKeyOn() throws KvException {
    put("a", "1");
    put("b", "2");
    put("c", "3");

    applyOk(command(deleteRequest("b", "\0")));

    assertThat(keys(range(rangeRequest("\0", "\0")))).containsExactly("a");
  }

  @Test
  void putReturnsPrevKvOnlyWhenAskedAndTheKeyExisted() {
    PutResponse first = applyOk(command(putRequest("a", "1").setPrevKv(true))).getResponsePut();
    PutResponse second = applyOk(command(putRequest("a", "2").setPrevKv(true))).getResponsePut();
    PutResponse third = applyOk(command(putRequest("a", "3"))).getResponsePut();

    assertThat(first.hasPrevKv()).isFalse();
    assertThat(text(second.getPrevKv().getValue())).isEqualTo("1");
    assertThat(second.getPrevKv().getVersion()).isEqualTo(1);
    assertThat(third.hasPrevKv()).isFalse();
  }

  @Test
  void ignoreValueKeepsTheValueAndStillMakesANewVersion() throws KvException {
    put("a", "1");

    long revision =
        applyOk(command(putRequest("a", "").setIgnoreValue(true)))
            .getResponsePut()
            .getHeader()
            .getRevision();

    assertThat(revision).isEqualTo(3);
    assertThat(text(get("a").getValue())).isEqualTo("1");
    assertThat(get("a").getVersion()).isEqualTo(2);
  }

  @Test
  void ignoreValueOrLeaseOnMissingKeyIsRejectedAndOnlyAdvancesTheIndex() throws KvException {
    assertThat(applyRejected(command(putRequest("a", "").setIgnoreValue(true))))
        .isEqualTo(KvError.KEY_NOT_FOUND);
    assertThat(applyRejected(command(putRequest("a", "v").setIgnoreLease(true))))
        .isEqualTo(KvError.KEY_NOT_FOUND);

    assertThat(get("a")).isNull();
    assertThat(store.revision()).isEqualTo(1);
    assertThat(store.appliedIndex()).isEqualTo(2);
  }

  @Test
  void putWithALeaseIsRejectedSinceNoLeaseExists() throws KvException {
    ApplyResult result = apply(command(putRequest("a", "1").setLease(7)));

    assertThat(result.error().error()).isEqualTo(KvError.LEASE_NOT_FOUND);
    assertThat(result.error().toStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(result.revision()).isEqualTo(1);
    assertThat(get("a")).isNull();
  }

  @Test
  void malformedCommandIsRejectedAtApplyAsWell() {
    assertThat(applyRejected(command(putRequest("", "1")))).isEqualTo(KvError.EMPTY_KEY);
    assertThat(applyRejected(command(deleteRequest("b", "a")))).isEqualTo(KvError.INVERTED_RANGE);
    assertThat(store.appliedIndex()).isEqualTo(2);
    assertThat(store.revision()).isEqualTo(1);
  }

  @Test
  void applyEmptyAdvancesTheIndexOnly() {
    put("a", "1");

    store.applyEmpty(++lastIndex);

    assertThat(store.appliedIndex()).isEqualTo(2);
    assertThat(store.revision()).isEqualTo(2);
  }

  @Test
  void applyOfAnAlreadyAppliedIndexThrows() {
    put("a", "1");
    put("a", "2");

    assertThatThrownBy(() -> store.apply(2, command(putRequest("a", "3"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("index=2 appliedIndex=2");
    assertThatThrownBy(() -> store.applyEmpty(1)).isInstanceOf(IllegalStateException.class);
    assertThat(store.revision()).isEqualTo(3);
  }

  @Test
  void applyThatSkipsAnIndexThrows() {
    assertThatThrownBy(() -> store.apply(2, command(putRequest("a", "1"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("index=2 appliedIndex=0");
    assertThat(store.appliedIndex()).isZero();
  }

  @Test
  void committedCommandWithoutOperationIsAppliedAsRejected() {
    ApplyResult result = store.apply(1, Command.getDefaultInstance());

    assertThat(result.error().error()).isEqualTo(KvError.MALFORMED_REQUEST);
    assertThat(store.appliedIndex()).isEqualTo(1);
    assertThat(store.revision()).isEqualTo(KvStore.INITIAL_REVISION);
  }

  @Test
  void appliedIndexAndRevisionSurviveReopenAndMatchTheData() throws KvException {
    put("a", "1");
    put("b", "2");
    applyOk(command(deleteRequest("a")));
    store.applyEmpty(++lastIndex);
    apply(command(putRequest("c", "").setIgnoreValue(true))); // rejected, still applied

    reopen();

    assertThat(store.appliedIndex()).isEqualTo(5);
    assertThat(store.revision()).isEqualTo(4);
    RangeResponse all = range(rangeRequest("\0", "\0"));
    assertThat(all.getHeader().getRevision()).isEqualTo(4);
    assertThat(keys(all)).containsExactly("b");
    assertThat(all.getKvs(0).getModRevision()).isEqualTo(3);
    assertThat(put("a", "again")).isEqualTo(5);
    assertThat(store.appliedIndex()).isEqualTo(6);
  }

  @Test
  void keysAndValuesKeepAnyBytes() throws KvException {
    ByteString key = ByteString.copyFrom(new byte[] {0, -1});
    ByteString value = ByteString.copyFrom(new byte[] {0, 1, -128});
    applyOk(
        Command.newBuilder().setPut(PutRequest.newBuilder().setKey(key).setValue(value)).build());

    KeyValue kv = store.range(RangeRequest.newBuilder().setKey(key).build()).getKvs(0);
    assertThat(kv.getKey()).isEqualTo(key);
    assertThat(kv.getValue()).isEqualTo(value);
  }

  /** Each put adds a new key, so a consistent read of revision r sees exactly r - 1 keys. */
  @Test
  void readsSeeKeysAndRevisionFromOneConsistentState() throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> mismatch = new AtomicReference<>();
    AtomicLong reads = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && mismatch.get() == null) {
                try {
                  RangeResponse all =
                      store.range(rangeRequest("\0", "\0").setCountOnly(true).build());
                  if (all.getCount() != all.getHeader().getRevision() - 1) {
                    mismatch.set(all.toString());
                  }
                  reads.incrementAndGet();
                } catch (KvException e) {
                  mismatch.set(e.toString());
                }
              }
            },
            "kv-test-reader");
    reader.start();
    try {
      for (int i = 0; i < 2_000; i++) {
        put(String.format("k%05d", i), "v");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() > 0 || mismatch.get() != null);
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(mismatch.get()).isNull();
    assertThat(store.revision()).isEqualTo(2_001);
  }

  @Test
  void noReadOrBackupRunsWhileASnapshotInstallReplacesTheState() throws Exception {
    put("a", "old");
    java.util.concurrent.CountDownLatch halfway = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch finish = new java.util.concurrent.CountDownLatch(1);
    Thread installer =
        new Thread(
            () ->
                store.replaceState(
                    () -> {
                      try {
                        // Half installed: the old key is gone, the new state not yet in.
                        writeData("a", null);
                        halfway.countDown();
                        finish.await();
                        writeData("a", storedNew());
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                      return null;
                    }),
            "test-installer");
    installer.start();
    halfway.await();

    java.util.concurrent.CompletableFuture<RangeResponse> read =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> rangeUnchecked("a"));
    java.util.concurrent.CompletableFuture<String> backup =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> store.readStable(() -> "checkpoint taken"));
    org.awaitility.Awaitility.await()
        .during(java.time.Duration.ofMillis(300))
        .atMost(java.time.Duration.ofSeconds(2))
        .until(() -> !read.isDone() && !backup.isDone());

    finish.countDown();
    installer.join();
    assertThat(read.get().getKvsList())
        .extracting(kv -> text(kv.getValue()))
        .containsExactly("new");
    assertThat(backup.get()).isEqualTo("checkpoint taken");
  }

  /** Writes {@code value} to {@code key} beneath the store, or deletes it if null. */
  private void writeData(String key, byte[] value) {
    try (KvBatch batch = engine.newBatch()) {
      if (value == null) {
        batch.delete(KvSpace.DATA, key.getBytes(UTF_8));
      } else {
        batch.put(KvSpace.DATA, key.getBytes(UTF_8), value);
      }
      engine.write(batch, store.appliedIndex());
    }
  }

  /** The stored form of "a" = "new", as a put would have written it (records carry no key). */
  private byte[] storedNew() {
    return KeySpace.encode(
        dev.ballot.etcd.mvcc.KeyValue.newBuilder().setValue(bytes("new")).setVersion(1).build());
  }

  private RangeResponse rangeUnchecked(String key) {
    try {
      return range(rangeRequest(key));
    } catch (KvException e) {
      throw new IllegalStateException(e);
    }
  }
}
