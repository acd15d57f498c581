package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.storage.RocksDbLibrary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** The Java-made batch is byte for byte the one RocksDB's own puts and deletes make. */
class WriteBatchRecordsTest {
  static {
    RocksDbLibrary.load();
  }

  @TempDir Path dir;

  @Test
  void matchesRocksDbsOwnSerializationAndWritesIntoTheRightFamilies() throws Exception {
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options =
            new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        RocksDB db =
            RocksDB.open(
                options,
                dir.toString(),
                List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                    new ColumnFamilyDescriptor("low".getBytes())),
                handles);
        WriteOptions write = new WriteOptions();
        ReadOptions read = new ReadOptions()) {
      // Family ids only grow: dropping families pushes the next id past one varint byte.
      for (int i = 0; i < 130; i++) {
        db.dropColumnFamily(
            db.createColumnFamily(new ColumnFamilyDescriptor(("x" + i).getBytes())));
      }
      handles.add(db.createColumnFamily(new ColumnFamilyDescriptor("high".getBytes())));
      assertThat(handles.get(2).getID()).isGreaterThan(127);

      Random random = new Random(7);
      // Lengths on both sides of each varint boundary.
      int[] lengths = {0, 1, 127, 128, 255, 16_383, 16_384, 70_000};
      List<WriteBatchRecords.Record> records = new ArrayList<>();
      Map<String, byte[]> expected = new HashMap<>();
      try (WriteBatch theirs = new WriteBatch()) {
        for (int i = 0; i < 300; i++) {
          int f = random.nextInt(3);
          ColumnFamilyHandle family = handles.get(f);
          byte[] key = bytes(random, 1 + lengths[random.nextInt(5)] % 300);
          byte[] value = random.nextInt(4) == 0 ? null : bytes(random, lengths[random.nextInt(8)]);
          records.add(new WriteBatchRecords.Record(family.getID(), key, value));
          if (value == null) {
            theirs.delete(family, key);
          } else {
            theirs.put(family, key, value);
          }
          expected.put(f + "/" + HexFormat.of().formatHex(key), value);
        }
        byte[] ours = WriteBatchRecords.encode(records);
        assertThat(ours).isEqualTo(theirs.data());

        try (WriteBatch batch = new WriteBatch(ours)) {
          assertThat(batch.count()).isEqualTo(300);
          db.write(write, batch);
        }
      }
      expected.forEach(
          (where, value) -> {
            String[] parts = where.split("/");
            ColumnFamilyHandle family = handles.get(Integer.parseInt(parts[0]));
            try {
              assertThat(db.get(family, read, HexFormat.of().parseHex(parts[1])))
                  .as(where)
                  .isEqualTo(value);
            } catch (RocksDBException e) {
              throw new AssertionError(e);
            }
          });
      try (WriteBatch empty = new WriteBatch()) {
        assertThat(WriteBatchRecords.encode(List.of())).isEqualTo(empty.data());
      }
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  private static byte[] bytes(Random random, int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }
}
