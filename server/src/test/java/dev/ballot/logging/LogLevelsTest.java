package dev.ballot.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

class LogLevelsTest {
  /** The level logback-test.xml gives the root. */
  private static final String TEST_ROOT = "WARN";

  @AfterEach
  void restoreTestLevels() {
    LogLevels.apply(TEST_ROOT);
  }

  private static Logger logger(String name) {
    return (Logger) LoggerFactory.getLogger(name);
  }

  @Test
  void aLevelAloneIsTheRootLevelInAnyCase() {
    assertThat(LogLevels.parse(" debug ")).isEqualTo(new LogLevels.Spec("DEBUG", Map.of()));
    assertThat(LogLevels.parse("off").toString()).isEqualTo("OFF");
  }

  @Test
  void pairsFollowTheRootLevelInTheirOrder() {
    LogLevels.Spec spec = LogLevels.parse("info, dev.ballot.raft=debug ,io.grpc = Warn");

    assertThat(spec.rootLevel()).isEqualTo("INFO");
    assertThat(spec.loggerLevels())
        .containsExactly(Map.entry("dev.ballot.raft", "DEBUG"), Map.entry("io.grpc", "WARN"));
    assertThat(spec.toString()).isEqualTo("INFO,dev.ballot.raft=DEBUG,io.grpc=WARN");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "LOUD                          | 'LOUD' is not a log level (ERROR, WARN, INFO, DEBUG, TRACE, OFF)",
        "''                            | '' is not a log level",
        "dev.ballot.raft=debug         | the root level comes first",
        "info,dev.ballot.raft=loud     | 'loud' in 'dev.ballot.raft=loud' is not a log level",
        "info,=debug                   | '=debug' in 'info,=debug' names no logger",
        "info,dev ballot=debug         | names no logger",
        "info,dev.ballot.raft          | is not logger=LEVEL",
        "info,                         | '' in 'info,' is not logger=LEVEL",
        "info,root=debug               | the root level comes first",
        "info,io.grpc=warn,io.grpc=off | logger io.grpc is listed twice",
      })
  void badSpecIsRefusedSayingWhy(String spec, String why) {
    assertThatThrownBy(() -> LogLevels.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(why);
  }

  @Test
  void aSpecIsBoundedSinceEveryLoggerItNamesStaysForever() {
    StringBuilder many = new StringBuilder("INFO");
    for (int i = 0; i <= LogLevels.MAX_LOGGERS; i++) {
      many.append(",made.up.logger").append(i).append("=DEBUG");
    }
    assertThatThrownBy(() -> LogLevels.parse(many.toString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + LogLevels.MAX_LOGGERS);
    assertThatThrownBy(() -> LogLevels.parse("INFO,a=" + "x".repeat(LogLevels.MAX_SPEC_CHARS)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most " + LogLevels.MAX_SPEC_CHARS);
    assertThatThrownBy(() -> LogLevels.parse("INFO,a/b=DEBUG"))
        .hasMessageContaining("names no logger");
    assertThat(
            LogLevels.parse("INFO,io.grpc.netty.shaded.io.netty=WARN,a.B$C=DEBUG").loggerLevels())
        .hasSize(2);
  }

  @Test
  void applySetsTheRootAndEachNamedLogger() {
    LogLevels.apply("info,dev.ballot.raft=debug");

    assertThat(logger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    assertThat(logger("dev.ballot.raft").getLevel()).isEqualTo(Level.DEBUG);
    assertThat(logger("dev.ballot.raft.Leader").getEffectiveLevel()).isEqualTo(Level.DEBUG);
    assertThat(logger("dev.ballot.node").getEffectiveLevel()).isEqualTo(Level.INFO);
    assertThat(LogLevels.current())
        .containsEntry("ROOT", "INFO")
        .containsEntry("dev.ballot.raft", "DEBUG")
        .doesNotContainKey("dev.ballot.node");
    assertThat(LogLevels.current().keySet()).first().isEqualTo("ROOT");
  }

  @Test
  void aLoggerTheNextSpecLeavesOutInheritsAgain() {
    LogLevels.apply("info,dev.ballot.raft=debug,io.grpc=error");

    LogLevels.apply("warn,io.grpc=info");

    assertThat(logger("dev.ballot.raft").getLevel()).isNull();
    assertThat(logger("dev.ballot.raft").getEffectiveLevel()).isEqualTo(Level.WARN);
    assertThat(logger("io.grpc").getLevel()).isEqualTo(Level.INFO);
    assertThat(LogLevels.current()).doesNotContainKey("dev.ballot.raft");
  }

  @Test
  void aBadSpecChangesNothing() {
    LogLevels.apply("info,dev.ballot.raft=debug");

    assertThatThrownBy(() -> LogLevels.apply("error,dev.ballot.raft=loud"))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(logger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    assertThat(logger("dev.ballot.raft").getLevel()).isEqualTo(Level.DEBUG);
  }
}
