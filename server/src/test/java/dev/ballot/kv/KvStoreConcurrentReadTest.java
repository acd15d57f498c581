package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.kv.proto.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Reads on other threads while the apply thread writes, on real RocksDB: every read sees one state,
 * its revisions (answered from memory, not from the engine) and its keys alike.
 */
class KvStoreConcurrentReadTest extends KvStoreFixture {
  private static final int WRITES = 20_000;

  @Test
  void aReadsRevisionIsTheRevisionOfTheStateItSees() throws Exception {
    put("k", "0");
    AtomicBoolean done = new AtomicBoolean();
    List<CompletableFuture<Integer>> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      readers.add(
          CompletableFuture.supplyAsync(
              () -> {
                int reads = 0;
                while (!done.get()) {
                  RangeResponse response = readK();
                  KeyValue k = response.getKvs(0);
                  // Only k is ever written: the store's revision is k's last change.
                  assertThat(response.getHeader().getRevision()).isEqualTo(k.getModRevision());
                  reads++;
                }
                return reads;
              }));
    }
    try {
      for (int i = 1; i <= WRITES; i++) {
        put("k", Integer.toString(i));
        if (i % 5_000 == 0) { // compactions too: a read never sees history gone but not the mark
          applyOk(compaction(store.revision() - 10));
        }
      }
    } finally {
      done.set(true);
    }
    for (CompletableFuture<Integer> reader : readers) {
      assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
    }
  }

  @Test
  void aReadAtAnOlderRevisionIsAnsweredOrRefusedAsCompactedNeverHalfGone() throws Exception {
    long first = put("k", "0");
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture<Integer> reader =
        CompletableFuture.supplyAsync(
            () -> {
              int answered = 0;
              for (int n = 0; !done.get(); n++) {
                long at = Math.max(first, store.revision() - (n % 2 == 0 ? 3 : 50));
                try {
                  RangeResponse response = store.range(rangeRequest("k").setRevision(at).build());
                  // k changes at every revision: at any kept revision it has exactly one value.
                  assertThat(response.getKvsList()).hasSize(1);
                  assertThat(response.getKvs(0).getModRevision()).isEqualTo(at);
                  answered++;
                } catch (KvException e) {
                  assertThat(e.error()).isEqualTo(KvError.COMPACTED);
                }
              }
              return answered;
            });
    try {
      for (int i = 1; i <= WRITES; i++) {
        put("k", Integer.toString(i));
        if (i % 100 == 0) {
          applyOk(compaction(store.revision() - 5));
        }
      }
    } finally {
      done.set(true);
    }
    assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
  }

  private RangeResponse readK() {
    try {
      return store.range(rangeRequest("k").build());
    } catch (KvException e) {
      throw new AssertionError(e);
    }
  }

  private static Command compaction(long revision) {
    return Command.newBuilder()
        .setCompaction(CompactionRequest.newBuilder().setRevision(revision))
        .build();
  }
}
