package dev.ballot.flags;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Whole-number flag values, checked against their lower bound when they are parsed. */
public final class LongConverters {
  private LongConverters() {}

  /** At least 1: intervals, timeouts. */
  public static final class Positive implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return atLeast(value, 1);
    }
  }

  /** At least 0: counts where 0 means "never" or "none". */
  public static final class NonNegative implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return atLeast(value, 0);
    }
  }

  static long atLeast(String value, long min) {
    long parsed;
    try {
      parsed = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a whole number");
    }
    if (parsed < min) {
      throw new TypeConversionException(value + " is less than " + min);
    }
    return parsed;
  }
}
