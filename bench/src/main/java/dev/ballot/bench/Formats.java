package dev.ballot.bench;

import java.util.Locale;

/** Number formats of the table and chart. */
final class Formats {
  private Formats() {}

  /** Operations per second: whole numbers with thousands separators. */
  static String opsPerS(double value) {
    return String.format(Locale.ROOT, "%,.0f", value);
  }

  /** Milliseconds: three significant digits, at most three decimals (0.412, 5.38, 23.6, 131). */
  static String ms(double value) {
    if (value >= 100) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    if (value >= 10) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    if (value >= 1) {
      return String.format(Locale.ROOT, "%.2f", value);
    }
    return String.format(Locale.ROOT, "%.3f", value);
  }

  static String fixed(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** A ratio such as 0.43x. */
  static String ratio(double value) {
    return String.format(Locale.ROOT, "%.2fx", value);
  }
}
