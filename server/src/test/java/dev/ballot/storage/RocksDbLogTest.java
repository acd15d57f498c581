package dev.ballot.storage;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.slf4j.LoggerFactory;

class RocksDbLogTest {
  private final Logger rocksdb = (Logger) LoggerFactory.getLogger(RocksDbLog.LOGGER);
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();

  @TempDir Path dir;

  static {
    RocksDbLibrary.load();
  }

  @BeforeEach
  void capture() {
    events.start();
    rocksdb.addAppender(events);
    rocksdb.setAdditive(false); // RocksDB's statistics at INFO are dozens of lines
  }

  @AfterEach
  void release() {
    rocksdb.detachAppender(events);
    rocksdb.setAdditive(true);
    rocksdb.setLevel(null);
  }

  @Test
  void nativeLevelIsTheLoggersLevelWhenCreated() {
    rocksdb.setLevel(Level.WARN);
    try (RocksDbLog log = new RocksDbLog()) {
      assertThat(log.infoLogLevel()).isEqualTo(InfoLogLevel.WARN_LEVEL);
    }
    rocksdb.setLevel(Level.INFO);
    try (RocksDbLog log = new RocksDbLog()) {
      assertThat(log.infoLogLevel()).isEqualTo(InfoLogLevel.INFO_LEVEL);
    }
  }

  @Test
  void withoutALevelOfItsOwnRocksDbLogsWarningsOnlyWhateverTheRootLevel() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    rocksdb.setLevel(null);
    root.setLevel(Level.DEBUG);
    try (RocksDbLog log = new RocksDbLog()) {
      assertThat(log.infoLogLevel()).isEqualTo(InfoLogLevel.WARN_LEVEL);
    } finally {
      root.setLevel(before);
    }
  }

  @Test
  void forwardsAtTheMappedLevelWithoutTheTrailingLineBreak() {
    rocksdb.setLevel(Level.DEBUG);
    try (RocksDbLog log = new RocksDbLog()) {
      log.log(InfoLogLevel.WARN_LEVEL, "[db/db_impl.cc:1] stall\n");
      log.log(InfoLogLevel.FATAL_LEVEL, "fatal");
      log.log(InfoLogLevel.HEADER_LEVEL, "header");
    }

    assertThat(events.list)
        .extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
        .containsExactly("WARN [db/db_impl.cc:1] stall", "ERROR fatal", "INFO header");
  }

  @Test
  void routineWarningsOfEveryTableOpenAreDebug() {
    rocksdb.setLevel(Level.DEBUG);
    try (RocksDbLog log = new RocksDbLog()) {
      log.log(
          InfoLogLevel.WARN_LEVEL,
          "[ble/block_based/block_based_table_reader.cc:1098] [db/000011.sst] Tail prefetch size"
              + " 1391 is calculated based on TailPrefetchStats");
      log.log(InfoLogLevel.WARN_LEVEL, "[db/db_impl_write.cc:1] Stalling writes");
    }

    assertThat(events.list)
        .extracting(ILoggingEvent::getLevel)
        .containsExactly(Level.DEBUG, Level.WARN);
  }

  @Test
  void reopeningADatabaseWithTableFilesWarnsOfNothing() throws Exception {
    Path db = dir.resolve("db");
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db);
        FlushOptions waitForFlush = new FlushOptions().setWaitForFlush(true)) {
      storage.db().put("k".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[10]);
      storage.db().flush(waitForFlush);
    }
    rocksdb.setLevel(Level.WARN);

    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(db)) {
      assertThat(storage.db()).isNotNull();
    }

    assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage).isEmpty();
  }

  @Test
  void storageLogsThroughSlf4jAndWritesNoLogFile() throws Exception {
    rocksdb.setLevel(Level.INFO);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("db"))) {
      assertThat(storage.db()).isNotNull();
    }

    assertThat(events.list).isNotEmpty();
    assertThat(events.list).allSatisfy(e -> assertThat(e.getLoggerName()).isEqualTo("org.rocksdb"));
    try (var files = Files.list(dir.resolve("db"))) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("LOG"));
    }
  }

  @Test
  void atWarnOpeningAndClosingLogsNothing() throws Exception {
    rocksdb.setLevel(Level.WARN);
    try (RocksDbRaftStorage storage = RocksDbRaftStorage.open(dir.resolve("db"))) {
      assertThat(storage.db()).isNotNull();
    }

    assertThat(events.list).isEmpty();
  }
}
