package dev.ballot.flags;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Checks a {@code host:port} flag value (or one element of a list of them) when it is parsed. */
public final class HostPortConverter implements ITypeConverter<String> {
  @Override
  public String convert(String value) {
    try {
      return HostPort.parse(value).toString();
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
