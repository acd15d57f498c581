package dev.ballot.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/** How {@link LineEncoder} writes an event: {@code key=value} text or one JSON object. */
public enum LogFormat {
  TEXT,
  JSON;

  /**
   * The format named {@code name} (any case).
   *
   * @throws IllegalArgumentException naming the formats there are
   */
  public static LogFormat parse(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default ->
          throw new IllegalArgumentException("'" + name + "' is not a log format (text, json)");
    };
  }

  /**
   * Switches every {@link LineEncoder} of the root logger's appenders to {@code format}.
   *
   * @return false if there is none (a Logback configuration of the operator's own writes as it
   *     says)
   */
  public static boolean apply(LogFormat format) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    boolean found = false;
    Iterator<Appender<ILoggingEvent>> appenders =
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    while (appenders.hasNext()) {
      if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> stream
          && stream.getEncoder() instanceof LineEncoder encoder) {
        encoder.use(format);
        found = true;
      }
    }
    return found;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
