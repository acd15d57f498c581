package dev.ballot.flags;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --log-level}: one of Logback's level names, any case; returned upper case. */
public final class LogLevelConverter implements ITypeConverter<String> {
  public static final List<String> LEVELS = List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  @Override
  public String convert(String value) {
    String level = value.trim().toUpperCase(Locale.ROOT);
    if (!LEVELS.contains(level)) {
      throw new TypeConversionException(
          "'" + value + "' is not a log level (" + String.join(", ", LEVELS) + ")");
    }
    return level;
  }
}
