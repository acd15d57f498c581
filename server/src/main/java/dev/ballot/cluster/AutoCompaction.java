package dev.ballot.cluster;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * etcd's {@code --auto-compaction-mode} and {@code --auto-compaction-retention}: keep the history
 * of the last period of time ({@code periodic}, retention a duration such as {@code 1h}, {@code
 * 30m}, {@code 90s}, or a bare number of hours as etcd reads it) or of the last revisions ({@code
 * revision}, retention a count). A retention of 0 keeps all history, etcd's default.
 */
public record AutoCompaction(Mode mode, Duration period, long revisions) {
  public enum Mode {
    PERIODIC,
    REVISION
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

  public static final AutoCompaction OFF = new AutoCompaction(Mode.PERIODIC, Duration.ZERO, 0);

  public boolean enabled() {
    return mode == Mode.PERIODIC ? !period.isZero() : revisions > 0;
  }

  /**
   * Reads the two flags.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static AutoCompaction parse(String mode, String retention) {
    String value = retention.trim();
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "periodic" -> {
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
          throw new IllegalArgumentException(
              "--auto-compaction-retention for periodic mode is a duration such as 1h, 30m, 90s or"
                  + " a number of hours, got '"
                  + retention
                  + "'");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "h" : m.group(2);
        Duration period =
            switch (unit) {
              case "ms" -> Duration.ofMillis(amount);
              case "s" -> Duration.ofSeconds(amount);
              case "m" -> Duration.ofMinutes(amount);
              default -> Duration.ofHours(amount);
            };
        return new AutoCompaction(Mode.PERIODIC, period, 0);
      }
      case "revision" -> {
        long count;
        try {
          count = Long.parseLong(value);
        } catch (NumberFormatException e) {
          count = -1;
        }
        if (count < 0) {
          throw new IllegalArgumentException(
              "--auto-compaction-retention for revision mode is a number of revisions, got '"
                  + retention
                  + "'");
        }
        return new AutoCompaction(Mode.REVISION, Duration.ZERO, count);
      }
      default ->
          throw new IllegalArgumentException(
              "--auto-compaction-mode is periodic or revision, got '" + mode + "'");
    }
  }
}
