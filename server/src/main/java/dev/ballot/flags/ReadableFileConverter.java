package dev.ballot.flags;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A flag naming a file to read (e.g. {@code --restore-from}): it must exist and be readable. */
public final class ReadableFileConverter implements ITypeConverter<Path> {
  @Override
  public Path convert(String value) {
    Path path = PathArgs.parse(value, "file");
    if (!Files.exists(path)) {
      throw new TypeConversionException("no such file: " + value);
    }
    if (!Files.isRegularFile(path)) {
      throw new TypeConversionException(value + " is not a regular file");
    }
    if (!Files.isReadable(path)) {
      throw new TypeConversionException(value + " is not readable");
    }
    return path;
  }
}
