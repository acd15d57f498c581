package dev.ballot.kv;

import static dev.ballot.kv.KvRequestsTest.nestedTxn;
import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever is committed applies: a committed entry that does not decode, or that the store cannot
 * carry out, becomes the same rejection on every replica (applied index advanced, nothing written,
 * revision unchanged), never a failure that stops the node and replays on every restart.
 */
class CommittedCommandTest {
  @TempDir Path dirA;
  @TempDir Path dirB;
  private final List<AutoCloseable> open = new ArrayList<>();

  private KvStateMachine replica(Path dir) {
    RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
    KvStore store = new KvStore(storage.db(), storage.kvFamilies());
    open.add(storage);
    open.add(store);
    return new KvStateMachine(store, null);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private static Entry entry(long index, byte[] data) {
    return new Entry(1, index, EntryType.NORMAL, data);
  }

  /**
   * A txn nested {@code levels} deep, serialized as a Command by hand (what an old node logged).
   */
  private static byte[] deepCommandBytes(int levels) {
    return command(nestedTxn(levels, "deep")).toByteArray();
  }

  @Test
  void undecodableEntriesAreRejectedAlikeOnEveryReplica() {
    List<byte[]> log =
        List.of(
            command(putRequest("a", "1")).toByteArray(),
            new byte[] {(byte) 0xff, (byte) 0xff, 0x7f}, // garbage
            deepCommandBytes(200), // deeper than the decoder allows
            new byte[] {0x20, 0x01}, // only a field Command does not know: decodes, has no op
            command(putRequest("b", "2")).toByteArray());
    for (KvStateMachine replica : List.of(replica(dirA), replica(dirB))) {
      List<ApplyResult> results = new ArrayList<>();
      for (int i = 0; i < log.size(); i++) {
        results.add(replica.apply(entry(i + 1, log.get(i))));
      }
      replica.endBatch();

      assertThat(results)
          .extracting(ApplyResult::isOk)
          .containsExactly(true, false, false, false, true);
      assertThat(results.subList(1, 4))
          .extracting(r -> r.error().error())
          .containsOnly(KvError.MALFORMED_REQUEST);
      assertThat(results).extracting(ApplyResult::revision).containsExactly(2L, 2L, 2L, 2L, 3L);
      assertThat(replica.appliedIndex()).isEqualTo(5);
    }
  }

  @Test
  void aDeepTxnAnOlderVersionCommittedStillApplies() {
    // 50 levels passed the API's checks before nesting was bounded; such entries may sit in logs.
    KvStateMachine replica = replica(dirA);
    ApplyResult result = replica.apply(entry(1, deepCommandBytes(50)));

    assertThat(result.isOk()).isTrue();
    assertThat(result.revision()).isEqualTo(2);
  }

  @Test
  void aCommandTheStoreCannotCarryOutIsRejectedNotFatal() throws Exception {
    KvStateMachine replica = replica(dirA);
    replica.apply(entry(1, command(putRequest("a", "1")).toByteArray()));
    // An empty op inside a txn: refused by the checks before proposing, so only a bug or an old
    // entry brings it here.
    byte[] emptyOp =
        command(
                dev.ballot.etcd.api.TxnRequest.newBuilder()
                    .addSuccess(dev.ballot.etcd.api.RequestOp.getDefaultInstance()))
            .toByteArray();

    ApplyResult result = replica.apply(entry(2, emptyOp));

    assertThat(result.isOk()).isFalse();
    assertThat(result.revision()).isEqualTo(2);
    assertThat(replica.appliedIndex()).isEqualTo(2);
  }
}
