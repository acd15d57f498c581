package dev.ballot.kv;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/** The committed keys, as {@code readOptions} sees them (at a snapshot if it sets one). */
final class DbKeySpace extends KeySpace {
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ReadOptions readOptions;

  DbKeySpace(RocksDB db, ColumnFamilyHandle data, ReadOptions readOptions) {
    this.db = db;
    this.data = data;
    this.readOptions = readOptions;
  }

  @Override
  byte[] read(byte[] key) throws RocksDBException {
    return db.get(data, readOptions, key);
  }

  @Override
  RocksIterator newIterator() {
    return db.newIterator(data, readOptions);
  }
}
