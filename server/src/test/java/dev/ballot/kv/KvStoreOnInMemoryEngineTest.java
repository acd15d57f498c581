package dev.ballot.kv;

import java.nio.file.Path;
import org.junit.jupiter.api.Nested;

/** The KvStore tests again, on the {@link InMemoryKvEngine} the simulation runs on. */
class KvStoreOnInMemoryEngineTest {
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
  class ResponseBudget extends ResponseBytesTest {
    @Override
    KvStoreDisk newDisk(Path dir) {
      return KvStoreDisk.inMemory();
    }
  }
}
