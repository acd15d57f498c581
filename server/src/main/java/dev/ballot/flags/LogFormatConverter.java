package dev.ballot.flags;

import dev.ballot.logging.LogFormat;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --log-format}: text or json, any case. */
public final class LogFormatConverter implements ITypeConverter<LogFormat> {
  @Override
  public LogFormat convert(String value) {
    try {
      return LogFormat.parse(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
