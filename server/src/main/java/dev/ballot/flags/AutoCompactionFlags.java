package dev.ballot.flags;

import dev.ballot.cluster.AutoCompaction;
import java.time.Duration;
import java.util.Locale;

/** Reads {@code --auto-compaction-mode} and {@code --auto-compaction-retention} as etcd does. */
public final class AutoCompactionFlags {
  private AutoCompactionFlags() {}

  /**
   * The policy the two flags give.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static AutoCompaction parse(String mode, String retention) {
    String value = retention.trim();
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "periodic" -> {
        Duration period = DurationConverter.parse(value, "h");
        if (period == null) {
          throw new IllegalArgumentException(
              "--auto-compaction-retention for periodic mode is a duration such as 1h, 30m, 90s or"
                  + " a number of hours, got '"
                  + retention
                  + "'");
        }
        return new AutoCompaction(AutoCompaction.Mode.PERIODIC, period, 0);
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
        return new AutoCompaction(AutoCompaction.Mode.REVISION, Duration.ZERO, count);
      }
      default ->
          throw new IllegalArgumentException(
              "--auto-compaction-mode is periodic or revision, got '" + mode + "'");
    }
  }
}
