package dev.ballot.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * The ID argument of member remove, member promote and move-leader (a picocli mixin): hex, unsigned
 * 64-bit, with an optional {@code 0x} prefix, the way kvctl and etcdctl print ids. A decimal
 * reading would be ambiguous: "10" is member 16 in the tables.
 */
final class MemberIdParameter {
  @Parameters(
      index = "0",
      paramLabel = "ID",
      converter = HexId.class,
      description = "The member's id in hex, as 'kvctl members' prints it (0x prefix optional).")
  long id;

  /** Parses a hex member id. */
  static final class HexId implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      long id = parseHex(value, "member id", "'kvctl members'");
      if (id == 0) {
        throw new TypeConversionException("member id 0 is not valid");
      }
      return id;
    }
  }

  private static final Pattern HEX_ID = Pattern.compile("(0[xX])?([0-9a-fA-F]{1,16})");

  /**
   * An unsigned 64-bit id in hex with an optional {@code 0x}; {@code what} and {@code printedBy}
   * name it in the error.
   */
  static long parseHex(String value, String what, String printedBy) {
    Matcher matcher = HEX_ID.matcher(value.trim());
    if (!matcher.matches()) {
      throw new TypeConversionException(
          "'" + value + "' is not a " + what + ": give it in hex as " + printedBy + " prints it");
    }
    return Long.parseUnsignedLong(matcher.group(2), 16);
  }
}
