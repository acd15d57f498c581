package dev.ballot.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Parameters;

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
    @Override
    public Long convert(String value) {
      return MemberIdParameter.parseHex(value, "lease id", "'kvctl lease grant'");
    }
  }

  static String hex(long id) {
    return String.format("%016x", id);
  }
}
