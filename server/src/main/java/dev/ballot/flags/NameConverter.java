package dev.ballot.flags;

import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --name}: a member name that reads the same in a table, a URL, a log line and a metric
 * label: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63.
 */
public final class NameConverter implements ITypeConverter<String> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  @Override
  public String convert(String value) {
    if (!NAME.matcher(value).matches()) {
      throw new TypeConversionException(
          "'"
              + value
              + "' is not a member name (letters, digits, '.', '_' and '-', starting with a letter"
              + " or digit, at most 63 characters)");
    }
    return value;
  }
}
