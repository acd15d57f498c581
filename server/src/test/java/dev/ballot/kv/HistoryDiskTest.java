package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.kv.proto.Command;
import dev.ballot.storage.RocksDbRaftStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction bounds the disk: on a node's RocksDB, history compacted as it grows takes the room of
 * the history kept, not of every revision ever written; uncompacted, the same writes take many
 * times more.
 */
class HistoryDiskTest {
  private static final int VALUE_BYTES = 1024;
  private static final int KEEP = 100;

  @Test
  void compactedHistoryTakesTheRoomOfWhatIsKept(@TempDir Path compacted, @TempDir Path kept)
      throws KvException {
    long compactedBytes = writeAndMeasure(compacted, 20_000, true);
    long keptBytes = writeAndMeasure(kept, 5_000, false);

    // 20,000 revisions of 1 KiB, compacted to the last 100: about the history kept (each event
    // holds the new and the previous record, ~200 KiB) plus the current keys.
    assertThat(compactedBytes).isLessThan(2L << 20);
    // 5,000 revisions, none compacted: every one of them is on disk (~10 MiB with prev_kv).
    assertThat(keptBytes).isGreaterThan(5_000L * VALUE_BYTES);
  }

  private static long writeAndMeasure(Path dir, int revisions, boolean compact) throws KvException {
    Random random = new Random(1);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir);
        KvStore store = new KvStore(new RocksKvEngine(storage.db(), storage.kvFamilies()))) {
      long index = 0;
      for (int i = 0; i < revisions; i++) {
        byte[] value = new byte[VALUE_BYTES];
        random.nextBytes(value); // incompressible, so sizes mean what they say
        store.apply(
            ++index,
            Command.newBuilder()
                .setPut(
                    PutRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k" + (i % 10)))
                        .setValue(ByteString.copyFrom(value)))
                .build());
        if (compact && store.revision() % KEEP == 0) {
          store.apply(
              ++index,
              Command.newBuilder()
                  .setCompaction(
                      CompactionRequest.newBuilder().setRevision(store.revision() - KEEP))
                  .build());
        }
      }
      assertThat(store.revision()).isEqualTo(revisions + 1L);
      storage.compactAll();
      return sstBytes(dir);
    }
  }

  private static long sstBytes(Path dir) {
    try (Stream<Path> files = walk(dir)) {
      return files
          .filter(f -> f.toString().endsWith(".sst"))
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  private static Stream<Path> walk(Path dir) {
    try {
      return Files.walk(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
