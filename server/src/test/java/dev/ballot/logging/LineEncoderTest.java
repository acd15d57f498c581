package dev.ballot.logging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LineEncoderTest {
  private static final Instant AT = Instant.parse("2026-12-04T21:40:00.123Z");

  private final LoggerContext context = new LoggerContext();
  private final LineEncoder encoder = new LineEncoder();

  private LoggingEvent event(String logger, Level level, String message, Throwable thrown) {
    return event(logger, level, message, thrown, "main");
  }

  private LoggingEvent event(
      String logger, Level level, String message, Throwable thrown, String thread) {
    Logger owner = context.getLogger(logger);
    LoggingEvent event =
        new LoggingEvent(
            Logger.FQCN, owner, level, message, thrown, new Object[] {"127.0.0.1:2379"});
    event.setInstant(AT);
    event.setThreadName(thread);
    return event;
  }

  private String text(LoggingEvent event) {
    return new String(encoder.encode(event), UTF_8);
  }

  @Test
  void plainMessageIsOneKeyValueLine() {
    String line =
        text(event("dev.ballot.KvServer", Level.INFO, "serving clients addr={} node=1", null));

    assertThat(line)
        .isEqualTo(
            "time=2026-12-04T21:40:00.123Z level=INFO logger=dev.ballot.KvServer thread=main"
                + " msg=\"serving clients addr=127.0.0.1:2379 node=1\"\n");
  }

  @Test
  void quotesBackslashesLineBreaksAndControlCharactersAreEscaped() {
    String line =
        text(event("x", Level.WARN, "say \"hi\"\\ there\nsecond\tline\r\u0007 end", null));

    assertThat(line.lines()).hasSize(1);
    assertThat(line).contains("msg=\"say \\\"hi\\\"\\\\ there\\nsecond\\tline\\r\\u0007 end\"");
  }

  @Test
  void unicodeTextStaysReadableButUnicodeLineBreaksAreEscaped() {
    String line = text(event("x", Level.INFO, "clé 名前 \uD83D\uDE00 a\u2028b\u0085c", null));

    assertThat(line.lines()).hasSize(1);
    assertThat(line).contains("msg=\"clé 名前 \uD83D\uDE00 a\\u2028b\\u0085c\"");
  }

  @Test
  void threadWithSpacesIsQuotedAndPlainOneIsNot() {
    assertThat(text(event("x", Level.INFO, "m", null, "grpc worker 1")))
        .contains(" thread=\"grpc worker 1\" ");
    assertThat(text(event("x", Level.INFO, "m", null))).contains(" thread=main ");
  }

  @Test
  void exceptionIsFoldedIntoTheSameLine() {
    IOException cause = new IOException("No space left on device");
    RuntimeException thrown = new IllegalStateException("sync failed index=7", cause);

    String line = text(event("dev.ballot.node.LogWriter", Level.ERROR, "disk failure", thrown));

    assertThat(line.lines()).hasSize(1);
    assertThat(line)
        .contains(
            " msg=\"disk failure\" error=\"java.lang.IllegalStateException: sync failed index=7")
        .contains("\\n\\tat dev.ballot.logging.LineEncoderTest.exceptionIsFoldedIntoTheSameLine(")
        .contains("\\nCaused by: java.io.IOException: No space left on device")
        .doesNotContain("\tat ")
        .endsWith("\"\n");
  }

  @Test
  void jsonLineHoldsEveryFieldAndParses() {
    encoder.use(LogFormat.JSON);

    String line =
        text(event("dev.ballot.KvServer", Level.INFO, "serving clients addr={} node=1", null));

    assertThat(line).endsWith("}\n");
    assertThat(FlatJson.parse(line.stripTrailing()))
        .containsExactly(
            Map.entry("time", "2026-12-04T21:40:00.123Z"),
            Map.entry("level", "INFO"),
            Map.entry("logger", "dev.ballot.KvServer"),
            Map.entry("thread", "main"),
            Map.entry("msg", "serving clients addr=127.0.0.1:2379 node=1"));
  }

  @Test
  void jsonEscapesControlCharactersAndNonAsciiAndKeepsTheText() {
    encoder.use(LogFormat.JSON);
    String message = "q\"b\\s/ nl\n cr\r tab\t bell\u0007 del\u007f é 名 \uD83D\uDE00 \u2028";

    String line = text(event("x", Level.INFO, message, null));

    assertThat(line.stripTrailing()).matches("[\\x20-\\x7e]*");
    assertThat(FlatJson.parse(line.stripTrailing())).containsEntry("msg", message);
  }

  @Test
  void jsonCarriesTheExceptionAsError() {
    encoder.use(LogFormat.JSON);
    Throwable thrown = new IllegalArgumentException("bad \"key\"");

    String line = text(event("x", Level.ERROR, "refused", thrown));

    assertThat(line.lines()).hasSize(1);
    assertThat(FlatJson.parse(line.stripTrailing()).get("error"))
        .startsWith("java.lang.IllegalArgumentException: bad \"key\"\n\tat ");
  }

  @Test
  void jsonHasNoErrorFieldWithoutAnException() {
    encoder.use(LogFormat.JSON);

    assertThat(FlatJson.parse(text(event("x", Level.INFO, "m", null)).stripTrailing()))
        .doesNotContainKey("error");
  }

  @Test
  void formatNamesAreTextAndJsonInAnyCase() {
    assertThat(LogFormat.parse("TEXT")).isEqualTo(LogFormat.TEXT);
    assertThat(LogFormat.parse(" Json ")).isEqualTo(LogFormat.JSON);
    assertThatThrownBy(() -> LogFormat.parse("xml"))
        .hasMessage("'xml' is not a log format (text, json)");
  }
}
