package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table options each family is opened with, as RocksDB itself records them (its OPTIONS file):
 * 16 KiB data blocks where current records and metadata live, RocksDB's default elsewhere.
 */
class TableOptionsTest {
  @TempDir Path dir;

  @Test
  void recordsAndMetadataHaveSixteenKibBlocksAndTheHistoryTheDefault() throws IOException {
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("db"))) {
      String options = latestOptionsFile(dir.resolve("db"));

      for (String family :
          List.of(
              RocksDbRaftStorage.KV_DATA,
              RocksDbRaftStorage.KV_META,
              RocksDbRaftStorage.RAFT_META)) {
        assertThat(blockSize(options, family)).as(family).isEqualTo(16 * 1024);
      }
      assertThat(blockSize(options, RocksDbRaftStorage.KV_EVENTS)).isEqualTo(4 * 1024);
    }
  }

  private static String latestOptionsFile(Path db) throws IOException {
    try (var files = Files.list(db)) {
      Path latest =
          files
              .filter(p -> p.getFileName().toString().startsWith("OPTIONS-"))
              .max(Comparator.comparingLong(TableOptionsTest::number))
              .orElseThrow();
      return Files.readString(latest);
    }
  }

  private static long number(Path optionsFile) {
    return Long.parseLong(optionsFile.getFileName().toString().substring("OPTIONS-".length()));
  }

  /** The block_size of {@code family}'s table options in an OPTIONS file. */
  private static long blockSize(String options, String family) {
    int section = options.indexOf("[TableOptions/BlockBasedTable \"" + family + "\"]");
    assertThat(section).as("table options of " + family).isNotNegative();
    Matcher m = Pattern.compile("(?m)^\\s*block_size=(\\d+)$").matcher(options);
    assertThat(m.find(section)).as("block_size of " + family).isTrue();
    return Long.parseLong(m.group(1));
  }
}
