package dev.ballot.flags;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A positive duration as etcd's flags write it: a number and a unit, ms, s, m or h. */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)?");

  @Override
  public Duration convert(String value) {
    Duration duration = parse(value, null);
    if (duration == null || duration.isZero()) {
      throw new TypeConversionException(
          "'" + value + "' is not a positive duration such as 500ms, 10s, 10m or 1h");
    }
    return duration;
  }

  /**
   * A number and a unit (ms, s, m or h), or a bare number in {@code bareUnit} if that is not null
   * ("h" as etcd reads its auto-compaction retention); null if {@code value} is neither.
   */
  static Duration parse(String value, String bareUnit) {
    Matcher m = FORMAT.matcher(value.trim());
    String unit = m.matches() ? (m.group(2) == null ? bareUnit : m.group(2)) : null;
    if (unit == null) {
      return null;
    }
    long amount = Long.parseLong(m.group(1));
    return switch (unit) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }
}
