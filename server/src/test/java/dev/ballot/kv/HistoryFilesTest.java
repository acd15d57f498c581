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
import org.rocksdb.SstFileMetaData;

/**
 * The history on a node's RocksDB lives in kv_events, apart from the keys every apply rewrites, so
 * its flushed files move down the levels as they are: RocksDB compacts level 0 into the levels
 * below without rewriting a single event. When the events shared kv_meta with the applied index
 * (the layout of earlier versions, kept here for comparison), every level-0 file overlapped the
 * whole history below it, and each compaction rewrote it.
 */
class HistoryFilesTest {
  /** The files a flush wrote, and those below level 0 once compactions are done. */
  private record Files(Set<String> flushed, List<SstFileMetaData> below, long entries) {}

  @Test
  void eventsAreWrittenOnceAndMovedDownWithoutRewriting(@TempDir Path dir) throws Exception {
    Files files = writeAndCompact(dir, false);

    assertThat(files.flushed()).hasSize(12);
    assertThat(files.below()).as("level-0 files compacted down").isNotEmpty();
    assertThat(files.below())
        .extracting(SstFileMetaData::fileName)
        .as("every file below level 0 is one a flush wrote")
        .allMatch(files.flushed()::contains);
    assertThat(files.entries()).as("one event per put, none dropped").isEqualTo(6_000);
  }

  @Test
  void eventsAmongTheMetadataWereRewrittenByEveryCompaction(@TempDir Path dir) throws Exception {
    Files files = writeAndCompact(dir, true);

    assertThat(files.flushed()).hasSize(12);
    assertThat(files.below())
        .extracting(SstFileMetaData::fileName)
        .as("files a compaction wrote")
        .anyMatch(name -> !files.flushed().contains(name));
  }

  /**
   * Twelve flushes as the snapshots make them, each after 500 puts over the same 200 keys: three
   * times the level-0 files that start a compaction (4). Then the compactions run.
   */
  private static Files writeAndCompact(Path dir, boolean eventsInMeta) throws Exception {
    Random random = new Random(7);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      KvFamilies kv = storage.kvFamilies();
      KvFamilies layout = eventsInMeta ? KvFamilies.withEventsInMeta(kv.data(), kv.meta()) : kv;
      RocksDB db = storage.db();
      ColumnFamilyHandle events = layout.events();
      Set<String> flushed = new HashSet<>();
      // Compactions wait until every flushed file is known, so that none is missed.
      db.setOptions(
          events, MutableColumnFamilyOptions.builder().setDisableAutoCompactions(true).build());
      try (KvStore store = new KvStore(new RocksKvEngine(db, layout))) {
        long index = 0;
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
          files(db, events, 0, 0).forEach(f -> flushed.add(f.fileName()));
        }
        assertThat(store.revision()).isEqualTo(6_001);
      }
      db.setOptions(
          events, MutableColumnFamilyOptions.builder().setDisableAutoCompactions(false).build());
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  db.getLongProperty(events, "rocksdb.num-running-compactions") == 0
                      && db.getLongProperty(events, "rocksdb.compaction-pending") == 0);
      long entries = 0;
      for (SstFileMetaData f : files(db, events, 0, Integer.MAX_VALUE)) {
        entries += f.numEntries();
      }
      return new Files(flushed, files(db, events, 1, Integer.MAX_VALUE), entries);
    }
  }

  /** The files of the family at levels {@code from} to {@code to}. */
  private static List<SstFileMetaData> files(
      RocksDB db, ColumnFamilyHandle family, int from, int to) {
    return db.getColumnFamilyMetaData(family).levels().stream()
        .filter(l -> l.level() >= from && l.level() <= to)
        .map(LevelMetaData::files)
        .flatMap(List::stream)
        .toList();
  }
}
