package dev.ballot.flags;

import dev.ballot.logging.LogLevels;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --log-level}: a root level, or a root level and {@code logger=LEVEL} pairs ({@code
 * INFO,dev.ballot.raft=DEBUG}), levels in any case; returned as {@link LogLevels.Spec} writes it.
 */
public final class LogLevelConverter implements ITypeConverter<String> {
  @Override
  public String convert(String value) {
    try {
      return LogLevels.parse(value).toString();
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
