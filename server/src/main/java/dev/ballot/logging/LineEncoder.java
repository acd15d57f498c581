package dev.ballot.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * kvserver's log line: one line per event, whatever its message or exception holds, so that {@code
 * grep} and log shippers see one event per line. The fields are time (UTC, milliseconds), level,
 * logger, thread, msg and, for an event with an exception, error: the stack trace as Java prints
 * it, its line breaks escaped.
 *
 * <p>Text (the default): {@code time=... level=INFO logger=dev.ballot.KvServer thread=main
 * msg="serving clients addr=127.0.0.1:2379 node=1"}. JSON: {@code
 * {"time":"...","level":"INFO",...}}. Configured in logback.xml; {@code --log-format} switches it
 * through {@link LogFormat#apply}.
 */
public final class LineEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private volatile LogFormat format = LogFormat.TEXT;

  /** For logback.xml: {@code <format>text</format>} or {@code json}. */
  public void setFormat(String name) {
    use(LogFormat.parse(name));
  }

  public void use(LogFormat format) {
    this.format = format;
  }

  public LogFormat format() {
    return format;
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return line(event).getBytes(UTF_8);
  }

  /** The event's line, ending with {@code \n}. */
  public String line(ILoggingEvent event) {
    String time = TIME.format(event.getInstant());
    String error = error(event.getThrowableProxy());
    StringBuilder line = new StringBuilder(256);
    if (format == LogFormat.JSON) {
      line.append('{');
      JsonLine.field(line, "time", time);
      JsonLine.field(line.append(','), "level", event.getLevel().toString());
      JsonLine.field(line.append(','), "logger", event.getLoggerName());
      JsonLine.field(line.append(','), "thread", event.getThreadName());
      JsonLine.field(line.append(','), "msg", event.getFormattedMessage());
      if (error != null) {
        JsonLine.field(line.append(','), "error", error);
      }
      line.append('}');
    } else {
      line.append("time=").append(time);
      KeyValueLine.field(line.append(' '), "level", event.getLevel().toString());
      KeyValueLine.field(line.append(' '), "logger", event.getLoggerName());
      KeyValueLine.field(line.append(' '), "thread", event.getThreadName());
      KeyValueLine.quoted(line.append(' '), "msg", event.getFormattedMessage());
      if (error != null) {
        KeyValueLine.quoted(line.append(' '), "error", error);
      }
    }
    return line.append('\n').toString();
  }

  /** The stack trace as Java prints it (causes, suppressed), without its last line break. */
  private static String error(IThrowableProxy thrown) {
    return thrown == null ? null : ThrowableProxyUtil.asString(thrown).stripTrailing();
  }
}
