package dev.ballot.flags;

import dev.ballot.membership.Membership;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --name}: a member name that reads the same in a table, a URL, a log line and a metric
 * label: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63.
 */
public final class NameConverter implements ITypeConverter<String> {
  @Override
  public String convert(String value) {
    if (value.isEmpty() || !Membership.isValidName(value)) {
      throw new TypeConversionException(
          "'"
              + value
              + "' is not a member name (letters, digits, '.', '_' and '-', starting with a letter"
              + " or digit, at most 63 characters)");
    }
    return value;
  }
}
