package dev.ballot.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * The ID argument of the lease commands (a picocli mixin): hex, 64-bit, with an optional {@code 0x}
 * prefix, the way kvctl and etcdctl print lease ids.
 */
final class LeaseIdParameter {
  @Parameters(
      index = "0",
      paramLabel = "ID",
      converter = HexLeaseId.class,
      description = "The lease's id in hex, as 'kvctl lease grant' prints it (0x prefix optional).")
  long id;

  /** Parses a hex lease id; also the converter of {@code put --lease}. */
  static final class HexLeaseId implements ITypeConverter<Long> {
    private static final Pattern HEX_ID = Pattern.compile("(0[xX])?([0-9a-fA-F]{1,16})");

    @Override
    public Long convert(String value) {
      Matcher matcher = HEX_ID.matcher(value.trim());
      if (!matcher.matches()) {
        throw new TypeConversionException(
            "'" + value + "' is not a lease id: give it in hex as 'kvctl lease grant' prints it");
      }
      return Long.parseUnsignedLong(matcher.group(2), 16);
    }
  }

  static String hex(long id) {
    return String.format("%016x", id);
  }
}
