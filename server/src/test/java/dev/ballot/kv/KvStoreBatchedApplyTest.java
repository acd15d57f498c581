package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.kv.proto.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link KvStore#applyBatched}: puts and single-key deletes held back and written together at
 * {@link KvStore#endBatch}, which must give what applying one command at a time gives.
 */
class KvStoreBatchedApplyTest extends KvStoreFixture {

  private ApplyResult applyBatched(Command command) {
    return store.applyBatched(++lastIndex, command);
  }

  @Test
  void heldBackWritesAreReadOnlyOnceTheBatchEnds() throws KvException {
    List<String> told = new ArrayList<>();
    store.onChanges((revision, events) -> told.add(revision + ":" + describe(events)));
    put("a", "0");
    told.clear();

    ApplyResult first = applyBatched(command(putRequest("a", "1")));
    ApplyResult second = applyBatched(command(putRequest("b", "2").setPrevKv(true)));
    ApplyResult third = applyBatched(command(deleteRequest("a").setPrevKv(true)));

    assertThat(List.of(first, second, third))
        .extracting(ApplyResult::revision)
        .containsExactly(3L, 4L, 5L);
    assertThat(third.response().getResponseDeleteRange().getPrevKvs(0).getValue())
        .isEqualTo(bytes("1")); // it read the put before it in the batch
    assertThat(store.appliedIndex()).isEqualTo(1);
    assertThat(store.revision()).isEqualTo(2);
    assertThat(text(get("a").getValue())).isEqualTo("0");
    assertThat(get("b")).isNull();
    assertThat(told).isEmpty();

    store.endBatch();

    assertThat(store.appliedIndex()).isEqualTo(4);
    assertThat(store.revision()).isEqualTo(5);
    assertThat(get("a")).isNull();
    assertThat(text(get("b").getValue())).isEqualTo("2");
    assertThat(told).containsExactly("3:PUT a", "4:PUT b", "5:DELETE a");
  }

  @Test
  void aCommandThatCannotWaitWritesTheBatchFirst() throws KvException {
    List<Long> written = new ArrayList<>();
    store.onWritten(written::add);
    applyBatched(command(putRequest("a", "1")));
    applyBatched(command(putRequest("b", "1")));

    // Its compare reads the state before it: both puts must be there.
    ApplyResult txn =
        applyBatched(
            command(
                TxnRequest.newBuilder()
                    .addCompare(
                        compare("b", Compare.CompareResult.EQUAL)
                            .setTarget(Compare.CompareTarget.VERSION)
                            .setVersion(1))
                    .addSuccess(op(putRequest("c", "1")))));

    assertThat(txn.response().getResponseTxn().getSucceeded()).isTrue();
    assertThat(written).containsExactly(2L); // the two puts, told before the txn applied
    assertThat(store.appliedIndex()).isEqualTo(3); // written with the two before it
    assertThat(text(get("c").getValue())).isEqualTo("1");
  }

  @Test
  void aRefusedCommandInTheBatchWritesNothingAndTheOthersStay() throws KvException {
    applyBatched(command(putRequest("a", "1")));
    ApplyResult refused = applyBatched(command(putRequest("missing", "").setIgnoreValue(true)));
    applyBatched(command(putRequest("b", "1")));
    store.endBatch();

    assertThat(refused.error().error()).isEqualTo(KvError.KEY_NOT_FOUND);
    assertThat(refused.revision()).isEqualTo(2);
    assertThat(store.appliedIndex()).isEqualTo(3);
    assertThat(store.revision()).isEqualTo(3);
    assertThat(get("missing")).isNull();
    assertThat(text(get("b").getValue())).isEqualTo("1");
  }

  @Test
  void theBatchIsWrittenOnceItHoldsItsMostCommands() {
    for (int i = 0; i < KvStore.MAX_BATCHED_COMMANDS; i++) {
      applyBatched(command(putRequest("k" + (i % 7), "v" + i)));
    }

    assertThat(store.appliedIndex()).isEqualTo(KvStore.MAX_BATCHED_COMMANDS);
  }

  @Test
  void theBatchIsWrittenOnceItHoldsItsMostBytes() {
    String value = "x".repeat((int) (KvStore.MAX_BATCHED_BYTES / 3) + 1);
    applyBatched(command(putRequest("a", value)));
    applyBatched(command(putRequest("b", value)));
    assertThat(store.appliedIndex()).isZero();

    applyBatched(command(putRequest("c", value)));

    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  /**
   * Random commands, applied in random batches on one store and one at a time on another: every
   * result, the state and its history come out the same.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void batchesGiveWhatOneCommandAtATimeGives(long seed) throws KvException {
    Random random = new Random(seed);
    try (KvStoreDisk referenceDisk = newDisk(dir.resolve("reference"));
        KvStore reference = new KvStore(referenceDisk.open())) {
      for (int i = 0; i < 400; i++) {
        Command command = randomCommand(random);
        ApplyResult expected = reference.apply(lastIndex + 1, command);
        ApplyResult got = applyBatched(command);
        assertThat(outcome(got))
            .as("command %s: %s", lastIndex, command)
            .isEqualTo(outcome(expected));
        if (random.nextInt(8) == 0) {
          store.endBatch();
          assertThat(store.appliedIndex()).isEqualTo(lastIndex);
        }
      }
      store.endBatch();

      assertThat(store.hash(0)).isEqualTo(reference.hash(0));
      for (long revision = store.compactRevision() + 1; revision <= store.revision(); revision++) {
        assertThat(store.hash(revision))
            .as("revision %s", revision)
            .isEqualTo(reference.hash(revision));
      }
      assertThat(store.leases()).isEqualTo(reference.leases());
      for (long lease = 1; lease <= 2; lease++) {
        assertThat(store.leaseBytes(lease))
            .as("lease %s", lease)
            .isEqualTo(reference.leaseBytes(lease));
        assertThat(store.leaseKeys(lease))
            .as("lease %s", lease)
            .containsExactlyElementsOf(reference.leaseKeys(lease));
      }
      reopen();
      assertThat(store.hash(0)).isEqualTo(reference.hash(0));
    }
  }

  /** What a result says (a refusal's exception is compared by its error). */
  private static List<Object> outcome(ApplyResult result) {
    return List.of(
        result.index(),
        result.revision(),
        result.isOk() ? result.response() : result.error().error());
  }

  /**
   * A command that fails after it wrote into the batch (a bug; here an engine that fails the
   * history write of key "boom") is applied alone, as a rejection, and the commands before it in
   * the batch are applied again one by one: none of them is lost, none is written twice.
   */
  @Test
  void aCommandThatFailsAfterWritingIsAppliedAloneAndTheBatchIsKept() throws KvException {
    try (KvStoreDisk referenceDisk = newDisk(dir.resolve("reference"));
        KvStore reference = new KvStore(new FailingHistoryWrite(referenceDisk.open(), true));
        KvStore batched = new KvStore(new FailingHistoryWrite(engine, false))) {
      List<Command> commands =
          List.of(
              command(putRequest("a", "1")),
              command(putRequest("a", "2")),
              command(putRequest("boom", "x")),
              command(putRequest("b", "1")));
      List<List<Object>> expected = new ArrayList<>();
      List<List<Object>> got = new ArrayList<>();
      for (int i = 0; i < commands.size(); i++) {
        expected.add(outcome(reference.apply(i + 1, commands.get(i))));
        got.add(outcome(batched.applyBatched(i + 1, commands.get(i))));
      }
      batched.endBatch();

      assertThat(got).isEqualTo(expected);
      assertThat(got.get(2).get(2)).isEqualTo(KvError.APPLY_FAILED);
      assertThat(batched.appliedIndex()).isEqualTo(4);
      assertThat(batched.hash(0)).isEqualTo(reference.hash(0));
      assertThat(batched.hash(3)).isEqualTo(reference.hash(3));
      KvStore fixtureStore = store;
      store = batched;
      assertThat(text(get("a").getValue())).isEqualTo("2");
      assertThat(get("a").getVersion()).isEqualTo(2);
      assertThat(get("boom")).isNull();
      store = fixtureStore;
    }
  }

  /** An engine whose batches fail the history write that follows a data write of key "boom". */
  private static final class FailingHistoryWrite extends ForwardingKvEngine {
    private final boolean ownsEngine;

    FailingHistoryWrite(KvEngine engine, boolean ownsEngine) {
      super(engine);
      this.ownsEngine = ownsEngine;
    }

    @Override
    public KvBatch newBatch() {
      return new FailingBatch(inner.newBatch());
    }

    @Override
    public void write(KvBatch batch, long index) {
      inner.write(((FailingBatch) batch).inner, index);
    }

    @Override
    public void close() {
      if (ownsEngine) {
        inner.close();
      }
    }
  }

  private static final class FailingBatch implements KvBatch {
    final KvBatch inner;
    private boolean boomWritten;

    FailingBatch(KvBatch inner) {
      this.inner = inner;
    }

    @Override
    public void put(KvSpace space, byte[] key, byte[] value) {
      if (space == KvSpace.EVENTS && boomWritten) {
        throw new IllegalStateException("a bug writing the history of boom");
      }
      inner.put(space, key, value);
      boomWritten = space == KvSpace.DATA && new String(key, UTF_8).equals("boom");
    }

    @Override
    public void delete(KvSpace space, byte[] key) {
      inner.delete(space, key);
    }

    @Override
    public int writes() {
      return inner.writes();
    }

    @Override
    public KvView over(KvView base) {
      return inner.over(base);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  private static Command randomCommand(Random random) {
    String key = "k" + random.nextInt(6);
    return switch (random.nextInt(12)) {
      case 0, 1, 2, 3 ->
          command(putRequest(key, "v" + random.nextInt(100)).setPrevKv(random.nextBoolean()));
      case 4 -> command(putRequest(key, "").setIgnoreValue(true));
      case 5, 6 -> command(deleteRequest(key).setPrevKv(random.nextBoolean()));
      case 7 -> command(deleteRequest("k1", "k3"));
      case 8 ->
          command(
              TxnRequest.newBuilder()
                  .addCompare(
                      compare(key, Compare.CompareResult.GREATER)
                          .setTarget(Compare.CompareTarget.VERSION)
                          .setVersion(1))
                  .addSuccess(op(deleteRequest(key)))
                  .addFailure(op(putRequest(key, "t"))));
      case 9 ->
          Command.newBuilder()
              .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(1 + random.nextInt(2)).setTTL(60))
              .build();
      case 10 -> command(putRequest(key, "leased").setLease(1 + random.nextInt(2)));
      default ->
          Command.newBuilder()
              .setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(1 + random.nextInt(2)))
              .build();
    };
  }

  private static String describe(List<Event> events) {
    return String.join(
        ",", events.stream().map(e -> e.getType() + " " + text(e.getKv().getKey())).toList());
  }
}
