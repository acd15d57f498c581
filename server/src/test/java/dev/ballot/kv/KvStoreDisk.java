package dev.ballot.kv;

import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Path;

/** Where a test's store keeps its data: it survives closing the store and opening it again. */
interface KvStoreDisk extends AutoCloseable {
  /** The engine over the data, as a restart finds it; the store closes the engine. */
  KvEngine open();

  /** Closes what {@link #open} opened beneath the engine. */
  @Override
  void close();

  /** The node's RocksDB, in {@code dir}. */
  static KvStoreDisk rocksDb(Path dir) {
    return new KvStoreDisk() {
      private RocksDbRaftStorage storage;

      @Override
      public KvEngine open() {
        storage = RocksDbRaftStorage.open(dir);
        return new RocksKvEngine(storage.db(), storage.kvFamilies());
      }

      @Override
      public void close() {
        storage.close();
      }
    };
  }

  /** An {@link InMemoryKvEngine}; a clean restart keeps everything written. */
  static KvStoreDisk inMemory() {
    InMemoryKvEngine engine = new InMemoryKvEngine();
    return new KvStoreDisk() {
      @Override
      public KvEngine open() {
        return engine;
      }

      @Override
      public void close() {}
    };
  }
}
