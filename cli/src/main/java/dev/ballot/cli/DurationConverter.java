package dev.ballot.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations the way etcdctl users write them: 500ms, 5s, 1m, or a plain number of seconds.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)?");

  @Override
  public Duration convert(String value) {
    Matcher matcher = DURATION.matcher(value.trim());
    if (!matcher.matches()) {
      throw new TypeConversionException("'" + value + "' is not a duration like 500ms, 5s or 1m");
    }
    long amount = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    Duration duration =
        switch (unit) {
          case "ms" -> Duration.ofMillis(amount);
          case "m" -> Duration.ofMinutes(amount);
          default -> Duration.ofSeconds(amount);
        };
    if (duration.isZero()) {
      throw new TypeConversionException("the timeout must be positive");
    }
    return duration;
  }
}
