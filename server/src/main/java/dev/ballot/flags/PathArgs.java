package dev.ballot.flags;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import picocli.CommandLine.TypeConversionException;

/** Parsing a flag's value as a path, with the one-line error picocli prints. */
final class PathArgs {
  private PathArgs() {}

  /**
   * @param what the kind of name expected, for the error ("file", "directory")
   */
  static Path parse(String value, String what) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new TypeConversionException("'" + value + "' is not a " + what + " name");
    }
  }
}
