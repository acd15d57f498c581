package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.deleteRequest;
import static dev.ballot.kv.KvStoreFixture.op;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.kv.proto.Command;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KvStore tests again, on the {@link InMemoryKvEngine} the simulation runs on. */
class KvStoreOnInMemoryEngineTest {
  /** The simulation compares its nodes by hash: both engines must give one store the same. */
  @Test
  void theSameCommandsGiveTheSameHashAndRevisionOnBothEngines(@TempDir Path dir)
      throws KvException {
    List<Command> commands =
        List.of(
            command(putRequest("a", "1")),
            command(putRequest("b", "2")),
            command(
                TxnRequest.newBuilder()
                    .addSuccess(op(putRequest("c", "3")))
                    .addSuccess(op(deleteRequest("a")))),
            command(putRequest("b", "4")));
    try (KvStoreDisk rocksDb = KvStoreDisk.rocksDb(dir);
        KvStore onDisk = new KvStore(rocksDb.open());
        KvStore inMemory = new KvStore(new InMemoryKvEngine())) {
      long index = 0;
      for (Command c : commands) {
        index++;
        assertThat(onDisk.apply(index, c).error()).isNull();
        assertThat(inMemory.apply(index, c).error()).isNull();
      }

      assertThat(inMemory.hash(0)).isEqualTo(onDisk.hash(0));
      assertThat(inMemory.hash(0).revision()).isEqualTo(5);
    }
  }

  @Nested
  class BatchedApply extends KvStoreBatchedApplyTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class LeaseBytes extends LeaseBytesTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class Store extends KvStoreTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class Txn extends KvStoreTxnTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class Range extends KvStoreRangeTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class Hash extends KvStoreHashTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class Alarm extends KvStoreAlarmTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class History extends KvStoreHistoryTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }

  @Nested
  class ResponseBudget extends ResponseBytesTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }
}
