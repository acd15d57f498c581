package dev.ballot.storage;

import java.util.List;
import org.rocksdb.InfoLogLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RocksDB's info log, forwarded to the SLF4J logger {@code org.rocksdb} instead of a LOG file in
 * the database directory. RocksDB calls into Java only for events at or above the level this logger
 * had when the database opened (WARN unless that logger is given a level of its own), so the
 * chatter below it costs nothing. Set with {@link org.rocksdb.DBOptions#setLogger}; it must stay
 * open, and referenced, as long as the database: close it after the database.
 */
final class RocksDbLog extends org.rocksdb.Logger {
  static final String LOGGER = "org.rocksdb";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  /**
   * Lines RocksDB writes at WARN for every table file it opens (at each start, flush and
   * compaction), though nothing is wrong: logged at DEBUG instead, or they would bury real
   * warnings.
   */
  private static final List<String> ROUTINE_WARNINGS =
      List.of(
          "is calculated based on TailPrefetchStats",
          "is calculated based on heuristics",
          "SST file opened without unique ID to verify");

  RocksDbLog() {
    super(nativeLevel());
  }

  /**
   * WARN unless the {@code org.rocksdb} logger was given a level of its own ({@code --log-level
   * INFO,org.rocksdb=INFO}, or a logback.xml that names it): RocksDB's info log (options dumped at
   * every open, statistics every 10 minutes) would otherwise follow the root level into the node's
   * log whatever configuration is in use.
   */
  private static InfoLogLevel nativeLevel() {
    if (!(log instanceof ch.qos.logback.classic.Logger logback) || logback.getLevel() == null) {
      return log.isWarnEnabled() ? InfoLogLevel.WARN_LEVEL : InfoLogLevel.ERROR_LEVEL;
    }
    if (log.isDebugEnabled()) {
      return InfoLogLevel.DEBUG_LEVEL;
    }
    if (log.isInfoEnabled()) {
      return InfoLogLevel.INFO_LEVEL;
    }
    return log.isWarnEnabled() ? InfoLogLevel.WARN_LEVEL : InfoLogLevel.ERROR_LEVEL;
  }

  @Override
  protected void log(InfoLogLevel level, String message) {
    // Called on RocksDB's own threads (flush, compaction) as well as on the caller's.
    String text = message.stripTrailing();
    switch (level) {
      case DEBUG_LEVEL -> log.debug(text);
      case INFO_LEVEL, HEADER_LEVEL -> log.info(text);
      case WARN_LEVEL -> {
        if (ROUTINE_WARNINGS.stream().anyMatch(text::contains)) {
          log.debug(text);
        } else {
          log.warn(text);
        }
      }
      default -> log.error(text);
    }
  }
}
