package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.bytes;
import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.compare;
import static dev.ballot.kv.KvStoreFixture.deleteRequest;
import static dev.ballot.kv.KvStoreFixture.op;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static dev.ballot.kv.KvStoreFixture.rangeRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The records a store's writes keep in memory: a store that caches must answer every command as one
 * that reads each record from storage does, whatever gets evicted, rejected or replaced.
 */
class RecordCacheTest {
  private static final String[] KEYS = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};

  @Test
  void aCachingStoreAnswersAsAStoreThatReadsStorage() throws KvException {
    for (int seed = 0; seed < 40; seed++) {
      Random random = new Random(seed);
      // 0 bytes: nothing is ever cached; 3,000 bytes: a few records, evicted all the time, and
      // the larger values (over an eighth of it) never kept.
      try (KvStore plain = new KvStore(new InMemoryKvEngine(), 0);
          KvStore small = new KvStore(new InMemoryKvEngine(), 3_000);
          KvStore large = new KvStore(new InMemoryKvEngine())) {
        for (long index = 1; index <= 400; index++) {
          Command command = randomCommand(random);
          ApplyResult expected = plain.apply(index, command);
          for (KvStore cached : List.of(small, large)) {
            ApplyResult actual = cached.apply(index, command);
            assertThat(actual.response())
                .as("seed %d index %d: %s", seed, index, command)
                .isEqualTo(expected.response());
            assertThat(actual.isOk()).isEqualTo(expected.isOk());
            if (!expected.isOk()) {
              assertThat(actual.error().error()).isEqualTo(expected.error().error());
            }
          }
        }
        assertThat(small.hash(0)).isEqualTo(plain.hash(0));
        assertThat(large.hash(0)).isEqualTo(plain.hash(0));
      }
    }
  }

  @Test
  void aReplacedStateIsReadAgain() throws KvException {
    InMemoryKvEngine engine = new InMemoryKvEngine();
    try (KvStore store = new KvStore(engine)) {
      store.apply(1, command(putRequest("k", "one")));
      store.apply(2, command(putRequest("k", "two"))); // version 2, known to the cache
      // A snapshot brings a state where k is at version 7 with another value.
      store.replaceState(
          () -> {
            try (KvBatch batch = engine.newBatch()) {
              batch.put(
                  KvSpace.DATA,
                  bytes("k").toByteArray(),
                  KeySpace.encode(
                      KeyValue.newBuilder()
                          .setCreateRevision(3)
                          .setModRevision(9)
                          .setVersion(7)
                          .setValue(bytes("snap"))
                          .build()));
              batch.put(KvSpace.META, "applied_index".getBytes(), longBytes(20));
              batch.put(KvSpace.META, "revision".getBytes(), longBytes(9));
              engine.write(batch, 20);
            }
            return null;
          });
      assertThat(store.appliedIndex()).as("the test's install took").isEqualTo(20);

      PutResponse put =
          store
              .apply(21, command(putRequest("k", "three").setPrevKv(true)))
              .response()
              .getResponsePut();

      assertThat(put.getPrevKv().getValue()).isEqualTo(bytes("snap"));
      KeyValue now = store.range(rangeRequest("k").build()).getKvs(0);
      assertThat(now.getVersion()).isEqualTo(8);
      assertThat(now.getCreateRevision()).isEqualTo(3);
    }
  }

  @Test
  void evictsTheLeastRecentlyUsedRecordsBeyondItsCapacity() {
    RecordCache cache = new RecordCache(2_000);
    for (int i = 10; i < 30; i++) {
      cache.learn(bytes("k" + i), record("k" + i, "v"));
    }
    assertThat(cache.bytes()).isLessThanOrEqualTo(2_000);
    assertThat(cache.size()).isBetween(5, 9);
    assertThat(cache.get(bytes("k29"))).isNotNull(); // the newest stays
    assertThat(cache.get(bytes("k10"))).isNull();

    String oldest = "k" + (30 - cache.size());
    assertThat(cache.get(bytes(oldest))).isNotNull(); // used: now the newest
    cache.learn(bytes("x"), record("x", "v"));
    assertThat(cache.get(bytes(oldest))).isNotNull();
    assertThat(cache.get(bytes("k" + (31 - cache.size())))).isNull();
  }

  @Test
  void aRecordTooLargeForItIsNotKept() {
    RecordCache cache = new RecordCache(8_000);
    cache.learn(bytes("k"), record("k", "small"));
    cache.learn(bytes("k"), record("k", "x".repeat(2_000)));

    assertThat(cache.get(bytes("k"))).as("the older, smaller record is gone too").isNull();
    assertThat(cache.bytes()).isZero();
  }

  @Test
  void learnsPutsAndForgetsDeletes() {
    RecordCache cache = new RecordCache(10_000);
    cache.learn(bytes("gone"), record("gone", "v"));
    cache.written(
        List.of(
            Event.newBuilder().setKv(record("new", "v1")).build(),
            Event.newBuilder()
                .setType(Event.EventType.DELETE)
                .setKv(KeyValue.newBuilder().setKey(bytes("gone")))
                .build()));

    assertThat(cache.get(bytes("new")).getValue()).isEqualTo(bytes("v1"));
    assertThat(cache.get(bytes("gone"))).isNull();
    assertThat(cache.size()).isEqualTo(1);
  }

  private static KeyValue record(String key, String value) {
    return KeyValue.newBuilder().setKey(bytes(key)).setValue(bytes(value)).setVersion(1).build();
  }

  private static byte[] longBytes(long value) {
    return java.nio.ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  /** Puts, deletes and txns over a few keys, with leases, some of them refused. */
  private static Command randomCommand(Random random) {
    String key = KEYS[random.nextInt(KEYS.length)];
    String value = "v" + random.nextInt(1000) + "x".repeat(random.nextInt(300));
    switch (random.nextInt(9)) {
      case 0, 1, 2 -> {
        PutRequest.Builder put = putRequest(key, value).setPrevKv(random.nextBoolean());
        if (random.nextInt(6) == 0) {
          put.setIgnoreValue(true).clearValue(); // refused if the key is missing
        }
        if (random.nextInt(5) == 0) {
          put.setLease(1 + random.nextInt(3)); // refused unless granted
        }
        return command(put);
      }
      case 3 -> {
        return command(deleteRequest(key).setPrevKv(random.nextBoolean()));
      }
      case 4 -> {
        String end = KEYS[random.nextInt(KEYS.length)];
        return command(deleteRequest(key, end + "\0").setPrevKv(true));
      }
      case 5, 6 -> {
        TxnRequest.Builder txn =
            TxnRequest.newBuilder()
                .addCompare(
                    compare(key, Compare.CompareResult.EQUAL)
                        .setTarget(Compare.CompareTarget.VERSION)
                        .setVersion(random.nextInt(3)))
                .addSuccess(op(putRequest(key, value).setPrevKv(true)))
                .addSuccess(op(rangeRequest(key)))
                .addFailure(op(deleteRequest(key).setPrevKv(true)))
                .addFailure(op(putRequest(KEYS[random.nextInt(KEYS.length)], value)));
        if (random.nextInt(8) == 0) {
          // An op refused after the first one wrote: the whole command is dropped.
          txn.addSuccess(op(putRequest(key + "z", value).setIgnoreValue(true).clearValue()));
        }
        return command(txn);
      }
      case 7 -> {
        return KvStoreLeaseTest.grant(1 + random.nextInt(3), 60);
      }
      default -> {
        return KvStoreLeaseTest.revoke(1 + random.nextInt(3));
      }
    }
  }
}
