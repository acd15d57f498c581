package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.KvFamilies;
import dev.ballot.storage.RocksDbRaftStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.LevelMetaData;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileMetaData;

/**
 * The history on a node's RocksDB lives in kv_events, apart from the keys every apply rewrites, so
 * its flushed files move down the levels as they are: RocksDB compacts level 0 into the levels
 * below without rewriting a single event. When the events shared kv_meta with the applied index,
 * every level-0 file overlapped the whole history below it, and each compaction rewrote it all.
 */
class HistoryFilesTest {
  @Test
  void eventsAreWrittenOnceAndMovedDownWithoutRewriting(@TempDir Path dir) throws Exception {
    Random random = new Random(7);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
        KvStore store = new KvStore(storage.db(), storage.kvFamilies());
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      RocksDB db = storage.db();
      KvFamilies kv = storage.kvFamilies();
      ColumnFamilyHandle events = kv.events();
      Set<String> flushed = new HashSet<>();
      long index = 0;
      // Compactions wait until every flushed file is known, so that none is missed.
      db.setOptions(
          events, MutableColumnFamilyOptions.builder().setDisableAutoCompactions(true).build());
      // Twelve flushes as the snapshots make them, each after puts over the same 200 keys: three
      // times the level-0 files that start a compaction (4).
      for (int round = 0; round < 12; round++) {
        for (int i = 0; i < 500; i++) {
          byte[] value = new byte[100];
          random.nextBytes(value);
          store.apply(
              ++index,
              Command.newBuilder()
                  .setPut(
                      PutRequest.newBuilder()
                          .setKey(ByteString.copyFromUtf8("key-" + random.nextInt(200)))
                          .setValue(ByteString.copyFrom(value)))
                  .build());
        }
        db.flush(flush, List.of(kv.data(), kv.meta(), kv.events())); // as a snapshot does
        files(db, events, 0).forEach(f -> flushed.add(f.fileName()));
      }
      db.setOptions(
          events, MutableColumnFamilyOptions.builder().setDisableAutoCompactions(false).build());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  db.getLongProperty(events, "rocksdb.num-running-compactions") == 0
                      && db.getLongProperty(events, "rocksdb.compaction-pending") == 0);

      List<SstFileMetaData> below = files(db, events, 1);
      assertThat(flushed).hasSize(12);
      assertThat(below).as("level-0 files compacted down").isNotEmpty();
      assertThat(below)
          .extracting(SstFileMetaData::fileName)
          .as("every file below level 0 is one a flush wrote")
          .allMatch(flushed::contains);
      long entries = 0;
      for (int level = 0; level < 7; level++) {
        for (SstFileMetaData f : files(db, events, level, level)) {
          entries += f.numEntries();
        }
      }
      assertThat(entries).as("one event per put, none dropped").isEqualTo(6_000);
      assertThat(store.revision()).isEqualTo(6_001);
    }
  }

  /** The files of the family at levels {@code from} and below. */
  private static List<SstFileMetaData> files(RocksDB db, ColumnFamilyHandle family, int from)
      throws RocksDBException {
    return files(db, family, from, Integer.MAX_VALUE);
  }

  private static List<SstFileMetaData> files(
      RocksDB db, ColumnFamilyHandle family, int from, int to) {
    return db.getColumnFamilyMetaData(family).levels().stream()
        .filter(l -> l.level() >= from && l.level() <= to)
        .map(LevelMetaData::files)
        .flatMap(List::stream)
        .toList();
  }
}
