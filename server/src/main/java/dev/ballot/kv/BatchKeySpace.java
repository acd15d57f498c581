package dev.ballot.kv;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatchWithIndex;

/** The committed keys with the not yet written puts and deletes of {@code batch} on top. */
final class BatchKeySpace extends KeySpace {
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ReadOptions readOptions;
  private final WriteBatchWithIndex batch;

  BatchKeySpace(
      RocksDB db, ColumnFamilyHandle data, ReadOptions readOptions, WriteBatchWithIndex batch) {
    this.db = db;
    this.data = data;
    this.readOptions = readOptions;
    this.batch = batch;
  }

  @Override
  byte[] read(byte[] key) throws RocksDBException {
    return batch.getFromBatchAndDB(db, data, readOptions, key);
  }

  @Override
  RocksIterator newIterator() {
    // The returned iterator owns the base iterator and closes it.
    return batch.newIteratorWithBase(data, db.newIterator(data, readOptions), readOptions);
  }
}
