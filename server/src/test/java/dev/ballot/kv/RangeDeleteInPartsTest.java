package dev.ballot.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.LeaseGrantRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.kv.proto.Command;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A range delete larger than one part ({@link KvStore#applyRangeDelete}) is written part by part,
 * yet it is one revision like any command: the same keys, history and leases as a delete in one
 * batch; reads meanwhile are answered at once from the state before it, a snapshot take waits for
 * its end; and a stop between parts is finished when the store opens again, whatever prefix of the
 * parts reached the disk.
 */
class RangeDeleteInPartsTest {
  /** A part removes at most this many bytes of keys and values: a few keys each. */
  private static final long PART_BYTES = 300;

  private static final int KEYS = 60;

  @TempDir Path dir;

  /** The commands every test applies: keys (some on a lease), the big delete, and a put after. */
  private static List<Command> commands() {
    List<Command> commands = new ArrayList<>();
    commands.add(
        Command.newBuilder()
            .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(7).setTTL(60))
            .build());
    for (int i = 0; i < KEYS; i++) {
      PutRequest.Builder put =
          PutRequest.newBuilder()
              .setKey(bytes(String.format("r/%03d", i)))
              .setValue(bytes("v".repeat(10 + i % 7)));
      if (i % 5 == 0) {
        put.setLease(7);
      }
      commands.add(Command.newBuilder().setPut(put).build());
    }
    commands.add(put("s/after", "x")); // outside the range: stays
    commands.add(delete("r/", "r0"));
    commands.add(put("r/050", "back"));
    return commands;
  }

  private static final int DELETE_INDEX = KEYS + 3; // the grant, the puts, s/after, then it

  @Test
  void aDeleteLargerThanAPartIsOneRevisionWithTheHistoryOfOneBatch() throws Exception {
    InMemoryKvEngine oneEngine = new InMemoryKvEngine();
    InMemoryKvEngine partsEngine = new InMemoryKvEngine();
    try (KvStore one = new KvStore(oneEngine);
        KvStore parts = new KvStore(partsEngine, 0, PART_BYTES)) {
      List<Command> commands = commands();
      for (int i = 0; i < commands.size(); i++) {
        int before = partsEngine.unsyncedBatches();
        ApplyResult a = one.apply(i + 1, commands.get(i));
        ApplyResult b = parts.apply(i + 1, commands.get(i));
        assertThat(b).isEqualTo(a);
        if (i + 1 == DELETE_INDEX) {
          assertThat(b.response().getResponseDeleteRange().getDeleted()).isEqualTo(KEYS);
          assertThat(partsEngine.unsyncedBatches() - before).as("batches written").isGreaterThan(5);
        }
      }
      assertSameState(parts, one);
      assertThat(count(parts, "r/", "r0")).isEqualTo(1);
      assertThat(parts.leaseKeys(7)).isEmpty();
      assertThat(parts.leaseBytes(7)).isZero();
      // The delete is one revision between the last put and the put after it.
      assertThat(parts.revision()).isEqualTo(1 + KEYS + 1 + 1 + 1);
    }
  }

  @Test
  void aStopBetweenPartsIsFinishedWhenTheStoreOpensWhateverPrefixReachedTheDisk() throws Exception {
    List<Command> commands = commands();
    InMemoryKvEngine reference = new InMemoryKvEngine();
    int deleteBatches;
    try (KvStore one = new KvStore(reference, 0, PART_BYTES)) {
      for (int i = 0; i < DELETE_INDEX - 1; i++) {
        one.apply(i + 1, commands.get(i));
      }
      reference.sync();
      one.apply(DELETE_INDEX, commands.get(DELETE_INDEX - 1));
      deleteBatches = reference.unsyncedBatches();
      for (int i = DELETE_INDEX; i < commands.size(); i++) {
        one.apply(i + 1, commands.get(i));
      }
    }
    for (int kept = 0; kept <= deleteBatches; kept++) {
      InMemoryKvEngine engine = new InMemoryKvEngine();
      try (KvStore store = new KvStore(engine, 0, PART_BYTES)) {
        for (int i = 0; i < DELETE_INDEX - 1; i++) {
          store.apply(i + 1, commands.get(i));
        }
        engine.sync();
        store.apply(DELETE_INDEX, commands.get(DELETE_INDEX - 1));
        assertThat(engine.unsyncedBatches()).isEqualTo(deleteBatches);
      }
      engine.crash(kept);

      try (KvStore reopened = new KvStore(engine, 0, PART_BYTES)) {
        // Nothing of the delete reached the disk: it is applied again from the log. Any part
        // did: the store finished it as it opened.
        long expectedApplied = kept == 0 ? DELETE_INDEX - 1 : DELETE_INDEX;
        assertThat(reopened.appliedIndex()).as("kept %d", kept).isEqualTo(expectedApplied);
        assertThat(count(reopened, "r/", "r0")).as("kept %d", kept).isEqualTo(kept == 0 ? KEYS : 0);
        for (long index = reopened.appliedIndex() + 1; index <= commands.size(); index++) {
          reopened.apply(index, commands.get((int) index - 1));
        }
        try (KvStore expected = new KvStore(reference, 0, PART_BYTES)) {
          assertSameState(reopened, expected);
        }
      }
    }
  }

  @Test
  void aReaderSeesTheRangeWholeOrGoneNeverPartlyDeleted() throws Exception {
    KvStoreDisk disk = KvStoreDisk.rocksDb(dir);
    try (KvStore store = new KvStore(disk.open(), 0, PART_BYTES)) {
      long index = 0;
      for (int round = 0; round < 20; round++) {
        for (int i = 0; i < KEYS; i++) {
          store.apply(++index, put(String.format("r/%03d", i), "v".repeat(20)));
        }
        long full = store.revision();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch firstRead = new CountDownLatch(1);
        CompletableFuture<Integer> reader =
            CompletableFuture.supplyAsync(
                () -> {
                  int reads = 0;
                  while (!done.get()) {
                    // A range, and a read-only txn (which reads through a batch view on RocksDB).
                    RangeResponse response =
                        reads % 2 == 0 ? range(store, "r/", "r0") : readTxnRange(store, "r/", "r0");
                    long revision = response.getHeader().getRevision();
                    if (revision == full) {
                      assertThat(response.getKvsCount()).isEqualTo(KEYS);
                    } else {
                      assertThat(revision).isEqualTo(full + 1);
                      assertThat(response.getKvsCount()).isZero();
                    }
                    reads++;
                    firstRead.countDown();
                  }
                  return reads;
                });
        try {
          // The reader runs before the delete too (a busy machine may start its thread late).
          // (A reader that failed is done: its failure shows at reader.get below.)
          assertThat(firstRead.await(30, TimeUnit.SECONDS) || reader.isDone()).isTrue();
          ApplyResult result = store.apply(++index, delete("r/", "r0"));
          assertThat(result.response().getResponseDeleteRange().getDeleted()).isEqualTo(KEYS);
          Thread.sleep(2);
        } finally {
          done.set(true);
        }
        assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
      }
    } finally {
      disk.close();
    }
  }

  @Test
  void whilePartsAreWrittenReadsAreAnsweredFromTheStateBeforeAndATakeWaits() throws Exception {
    // Threads of its own: the apply, the take and the read each wait or block in turn.
    ExecutorService threads = Executors.newCachedThreadPool();
    try {
      readsAndTakesWhilePartsAreWritten(threads);
    } finally {
      threads.shutdownNow();
    }
  }

  private void readsAndTakesWhilePartsAreWritten(ExecutorService threads) throws Exception {
    InMemoryKvEngine engine = new InMemoryKvEngine();
    CountDownLatch secondPartStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SteppedEngine slow =
        new SteppedEngine(
            engine,
            write -> {
              if (write == 2) {
                secondPartStarted.countDown();
                await(release);
              }
            });
    try (KvStore store = new KvStore(slow, 0, PART_BYTES)) {
      List<Command> commands = commands();
      for (int i = 0; i < DELETE_INDEX - 1; i++) {
        store.apply(i + 1, commands.get(i));
      }
      InMemoryKvSnapshots snapshots =
          new InMemoryKvSnapshots(store, engine, new ClusterConfig(List.of(1L), List.of()), null);
      slow.arm();
      CompletableFuture<ApplyResult> applying =
          CompletableFuture.supplyAsync(
              () -> store.apply(DELETE_INDEX, commands.get(DELETE_INDEX - 1)), threads);
      assertThat(secondPartStarted.await(10, TimeUnit.SECONDS)).isTrue();
      long before = store.revision();
      CompletableFuture<SnapshotMeta> take =
          CompletableFuture.supplyAsync(() -> snapshots.take(index -> 1), threads);
      // A read on another thread does not wait for the delete: it sees the state before it.
      RangeResponse during =
          CompletableFuture.supplyAsync(() -> range(store, "r/", "r0"), threads)
              .get(5, TimeUnit.SECONDS);
      assertThat(during.getKvsCount()).isEqualTo(KEYS);
      assertThat(during.getHeader().getRevision()).isEqualTo(before);
      List<String> history = new ArrayList<>();
      assertThat(store.history(before, (revision, event) -> history.add(revision + "")))
          .isEqualTo(before);
      assertThat(history).doesNotContain(Long.toString(before + 1));
      Thread.sleep(200);
      assertThat(take).as("a take while parts are written").isNotDone();
      release.countDown();
      assertThat(applying.get(10, TimeUnit.SECONDS).isOk()).isTrue();
      assertThat(take.get(10, TimeUnit.SECONDS).index()).isEqualTo(DELETE_INDEX);
      RangeResponse after = range(store, "r/", "r0");
      assertThat(after.getKvsCount()).isZero();
      assertThat(after.getHeader().getRevision()).isEqualTo(before + 1);
    }
  }

  @Test
  void aDiskFailureInALaterPartStopsTheNodeAndTheNextOpenFinishesTheDelete() throws Exception {
    InMemoryKvEngine engine = new InMemoryKvEngine();
    SteppedEngine failing =
        new SteppedEngine(
            engine,
            write -> {
              if (write == 3) {
                throw new DiskFailureException(
                    "write", Path.of("test"), new IOException("the disk failed"));
              }
            });
    List<Command> commands = commands();
    try (KvStore store = new KvStore(failing, 0, PART_BYTES)) {
      for (int i = 0; i < DELETE_INDEX - 1; i++) {
        store.apply(i + 1, commands.get(i));
      }
      failing.arm();
      assertThatThrownBy(() -> store.apply(DELETE_INDEX, commands.get(DELETE_INDEX - 1)))
          .isInstanceOf(DiskFailureException.class);
      assertThat(store.appliedIndex()).isEqualTo(DELETE_INDEX - 1);
    }
    try (KvStore reopened = new KvStore(engine, 0, PART_BYTES)) {
      assertThat(reopened.appliedIndex()).isEqualTo(DELETE_INDEX);
      assertThat(count(reopened, "r/", "r0")).isZero();
      assertThat(count(reopened, "s/", "s0")).isEqualTo(1);
    }
  }

  @Test
  void aDeleteWithPrevKvOrInATxnStaysInOneBatchAndKeepsItsBound() throws Exception {
    try (KvStore store = new KvStore(new InMemoryKvEngine(), 0, PART_BYTES)) {
      List<Command> commands = commands();
      for (int i = 0; i < DELETE_INDEX - 1; i++) {
        store.apply(i + 1, commands.get(i));
      }
      long index = DELETE_INDEX - 1;
      // Both are under KvTxn.MAX_DELETE_BYTES: one batch, whatever the part size.
      ApplyResult withPrev =
          store.apply(
              ++index,
              Command.newBuilder()
                  .setDeleteRange(
                      DeleteRangeRequest.newBuilder()
                          .setKey(bytes("r/"))
                          .setRangeEnd(bytes("r/030"))
                          .setPrevKv(true))
                  .build());
      assertThat(withPrev.response().getResponseDeleteRange().getPrevKvsCount()).isEqualTo(30);
      Command inTxn =
          Command.newBuilder()
              .setTxn(
                  TxnRequest.newBuilder()
                      .addSuccess(
                          RequestOp.newBuilder()
                              .setRequestDeleteRange(
                                  DeleteRangeRequest.newBuilder()
                                      .setKey(bytes("r/"))
                                      .setRangeEnd(bytes("r0"))
                                      .setPrevKv(true))))
              .build();
      ApplyResult txn = store.apply(++index, inTxn);
      assertThat(
              txn.response()
                  .getResponseTxn()
                  .getResponses(0)
                  .getResponseDeleteRange()
                  .getPrevKvsCount())
          .isEqualTo(KEYS - 30);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void assertSameState(KvStore actual, KvStore expected) throws KvException {
    assertThat(actual.appliedIndex()).isEqualTo(expected.appliedIndex());
    assertThat(actual.revision()).isEqualTo(expected.revision());
    assertThat(history(actual)).isEqualTo(history(expected));
    for (long revision = 1; revision <= expected.revision(); revision++) {
      assertThat(actual.hash(revision))
          .as("hash at %d", revision)
          .isEqualTo(expected.hash(revision));
    }
    assertThat(actual.leases()).isEqualTo(expected.leases());
    assertThat(actual.leaseBytes(7)).isEqualTo(expected.leaseBytes(7));
    assertThat(actual.leaseKeys(7)).usingRecursiveComparison().isEqualTo(expected.leaseKeys(7));
  }

  private static List<String> history(KvStore store) throws KvException {
    List<String> events = new ArrayList<>();
    store.history(1, (revision, event) -> events.add(revision + " " + event));
    return events;
  }

  private static RangeResponse range(KvStore store, String key, String end) {
    try {
      return store.range(
          RangeRequest.newBuilder().setKey(bytes(key)).setRangeEnd(bytes(end)).build());
    } catch (KvException e) {
      throw new AssertionError(e);
    }
  }

  /** The range as a read-only txn answers it, with the txn's header. */
  private static RangeResponse readTxnRange(KvStore store, String key, String end) {
    try {
      TxnResponse txn =
          store.readTxn(
              TxnRequest.newBuilder()
                  .addSuccess(
                      RequestOp.newBuilder()
                          .setRequestRange(
                              RangeRequest.newBuilder().setKey(bytes(key)).setRangeEnd(bytes(end))))
                  .build());
      return txn.getResponses(0).getResponseRange().toBuilder().setHeader(txn.getHeader()).build();
    } catch (KvException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * On RocksDB with the store's own part size: each part's writes (each key's delete and its event,
   * which holds the key and the record again) stay under the size at which the engine indexes a
   * batch, so they reach RocksDB in one call; parts of 16 MiB were indexed and written one call per
   * key.
   */
  @Test
  void eachPartOfADeleteOnRocksDbIsWrittenWithoutAnIndex() throws Exception {
    assertThat(indexedInDeleteOnRocksDb(3_000, 1024)).as("batches indexed").isZero();
  }

  /**
   * Short keys without values write more than twice the keys and values they remove: a part is
   * bounded by what it writes, not by what it removes.
   */
  @Test
  void partsOfShortKeysWithoutValuesAreWrittenWithoutAnIndexToo() throws Exception {
    assertThat(indexedInDeleteOnRocksDb(60_000, 0)).as("batches indexed").isZero();
  }

  /**
   * Puts {@code keys} keys with random values of {@code valueBytes} on a store over RocksDB,
   * deletes them all in one range delete, checks it is one revision that leaves none, and returns
   * how many batches the engine indexed meanwhile.
   */
  private long indexedInDeleteOnRocksDb(int keys, int valueBytes) throws Exception {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("db"))) {
      RocksKvEngine engine = new RocksKvEngine(storage.db(), storage.kvFamilies());
      try (KvStore store = new KvStore(engine)) { // closes the engine
        Random random = new Random(3);
        long index = 0;
        for (int i = 0; i < keys; i++) {
          byte[] value = new byte[valueBytes];
          random.nextBytes(value);
          store.apply(
              ++index,
              KvStoreFixture.command(
                  PutRequest.newBuilder()
                      .setKey(bytes(String.format("d/%05d", i)))
                      .setValue(ByteString.copyFrom(value))));
        }
        long before = store.revision();

        ApplyResult deleted = store.apply(++index, delete("d/", "d0"));

        assertThat(deleted.isOk()).isTrue();
        assertThat(deleted.response().getResponseDeleteRange().getDeleted()).isEqualTo(keys);
        assertThat(store.revision()).isEqualTo(before + 1);
        assertThat(count(store, "d/", "d0")).isZero();
        return engine.indexedBatches();
      }
    }
  }

  private static long count(KvStore store, String key, String end) {
    return range(store, key, end).getKvsCount();
  }

  private static Command put(String key, String value) {
    return Command.newBuilder()
        .setPut(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)))
        .build();
  }

  private static Command delete(String key, String end) {
    return Command.newBuilder()
        .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bytes(key)).setRangeEnd(bytes(end)))
        .build();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, UTF_8);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * An engine that passes everything to another; once armed, it calls a test's step before each
   * write, with the number of that write since (1 for the first).
   */
  private static final class SteppedEngine extends ForwardingKvEngine {
    private final IntConsumer beforeWrite;
    private volatile boolean armed;
    private int writes;

    SteppedEngine(KvEngine inner, IntConsumer beforeWrite) {
      super(inner);
      this.beforeWrite = beforeWrite;
    }

    void arm() {
      armed = true;
    }

    @Override
    public void write(KvBatch batch, long index) {
      if (armed) {
        beforeWrite.accept(++writes);
      }
      inner.write(batch, index);
    }
  }
}
