package dev.ballot.kv;

import java.nio.file.Path;

class RocksKvEngineTest extends KvEngineContractTest {
  @Override
  KvStoreDisk newDisk(Path dir) {
    return KvStoreDisk.rocksDb(dir);
  }
}
