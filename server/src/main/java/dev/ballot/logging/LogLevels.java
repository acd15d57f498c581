package dev.ballot.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.LoggerFactory;

/**
 * Log levels per logger, from a spec such as {@code INFO,dev.ballot.raft=DEBUG,io.grpc=WARN}: the
 * root level first, then {@code logger=LEVEL} pairs; levels in any case. {@code --log-level} sets
 * them at start; the same spec can change them while the node runs.
 */
public final class LogLevels {
  public static final List<String> LEVELS =
      List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE", "OFF");

  private static final String EXAMPLE = "e.g. INFO,dev.ballot.raft=DEBUG";

  /**
   * Logback never forgets a logger once named, so a spec (which may come over HTTP) is bounded: so
   * many loggers, names that are Java names, so long a spec.
   */
  static final int MAX_LOGGERS = 64;

  static final int MAX_SPEC_CHARS = 8192;
  private static final java.util.regex.Pattern LOGGER_NAME =
      java.util.regex.Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

  /** Loggers the last {@link #apply} set: the next one returns those it leaves out to inherit. */
  private static final TreeSet<String> applied = new TreeSet<>();

  private LogLevels() {}

  /** A parsed spec: the root level, then each named logger's level in the order given. */
  public record Spec(String rootLevel, Map<String, String> loggerLevels) {
    /** The spec written back, levels upper case: {@code INFO,dev.ballot.raft=DEBUG}. */
    @Override
    public String toString() {
      StringBuilder text = new StringBuilder(rootLevel);
      loggerLevels.forEach(
          (logger, level) -> text.append(',').append(logger).append('=').append(level));
      return text.toString();
    }
  }

  /**
   * Parses and checks a spec.
   *
   * @throws IllegalArgumentException saying what is wrong, in one line
   */
  public static Spec parse(String spec) {
    if (spec.length() > MAX_SPEC_CHARS) {
      throw new IllegalArgumentException(
          "a level spec of " + spec.length() + " characters; at most " + MAX_SPEC_CHARS);
    }
    String[] items = spec.split(",", -1);
    if (items.length > MAX_LOGGERS + 1) {
      throw new IllegalArgumentException(
          (items.length - 1) + " loggers in one spec; at most " + MAX_LOGGERS);
    }
    if (items[0].contains("=")) {
      throw new IllegalArgumentException("'" + spec + "': the root level comes first, " + EXAMPLE);
    }
    String root = level(items[0].trim(), spec);
    Map<String, String> loggers = new LinkedHashMap<>();
    for (int i = 1; i < items.length; i++) {
      String item = items[i].trim();
      int eq = item.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "'" + item + "' in '" + spec + "' is not logger=LEVEL, " + EXAMPLE);
      }
      String logger = item.substring(0, eq).trim();
      if (!LOGGER_NAME.matcher(logger).matches()) {
        throw new IllegalArgumentException(
            "'" + item + "' in '" + spec + "' names no logger, " + EXAMPLE);
      }
      if (logger.equalsIgnoreCase(Logger.ROOT_LOGGER_NAME)) {
        throw new IllegalArgumentException(
            "'" + item + "' in '" + spec + "': the root level comes first, " + EXAMPLE);
      }
      if (loggers.put(logger, level(item.substring(eq + 1).trim(), item)) != null) {
        throw new IllegalArgumentException(
            "logger " + logger + " is listed twice in '" + spec + "'");
      }
    }
    return new Spec(root, Collections.unmodifiableMap(loggers));
  }

  private static String level(String name, String item) {
    String level = name.toUpperCase(Locale.ROOT);
    if (!LEVELS.contains(level)) {
      String what = name.equals(item) ? "'" + name + "'" : "'" + name + "' in '" + item + "'";
      throw new IllegalArgumentException(
          what + " is not a log level (" + String.join(", ", LEVELS) + ")");
    }
    return level;
  }

  /**
   * Sets the root level and each named logger's level; a logger an earlier spec named and this one
   * does not goes back to inheriting its level. Levels set by logback.xml are otherwise kept.
   *
   * @throws IllegalArgumentException for a bad spec, before any level changes
   */
  public static synchronized void apply(String spec) {
    Spec parsed = parse(spec);
    LoggerContext context = context();
    context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.toLevel(parsed.rootLevel()));
    for (String name : applied) {
      if (!parsed.loggerLevels().containsKey(name)) {
        context.getLogger(name).setLevel(null);
      }
    }
    parsed
        .loggerLevels()
        .forEach((name, level) -> context.getLogger(name).setLevel(Level.toLevel(level)));
    applied.clear();
    applied.addAll(parsed.loggerLevels().keySet());
  }

  /**
   * The effective level of the root and of every logger given a level of its own (by logback.xml or
   * a spec), root first, then by name.
   */
  public static Map<String, String> current() {
    Map<String, String> levels = new LinkedHashMap<>();
    Logger root = context().getLogger(Logger.ROOT_LOGGER_NAME);
    levels.put(Logger.ROOT_LOGGER_NAME, root.getEffectiveLevel().toString());
    for (Logger logger : context().getLoggerList()) {
      if (logger != root && logger.getLevel() != null) {
        levels.put(logger.getName(), logger.getEffectiveLevel().toString());
      }
    }
    return Collections.unmodifiableMap(levels);
  }

  private static LoggerContext context() {
    return (LoggerContext) LoggerFactory.getILoggerFactory();
  }
}
