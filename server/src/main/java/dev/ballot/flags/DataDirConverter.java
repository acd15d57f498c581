package dev.ballot.flags;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --data-dir}: a directory, or a path where one can be created (no file on the way). That
 * the node can write there is checked after parsing, by {@link ServerFlags}.
 */
public final class DataDirConverter implements ITypeConverter<Path> {
  @Override
  public Path convert(String value) {
    Path path = PathArgs.parse(value, "directory");
    if (value.isBlank()) {
      throw new TypeConversionException("empty directory name");
    }
    if (Files.exists(path) && !Files.isDirectory(path)) {
      throw new TypeConversionException(value + " is a file, not a directory");
    }
    Path ancestor = path.toAbsolutePath().getParent();
    while (ancestor != null && !Files.exists(ancestor)) {
      ancestor = ancestor.getParent();
    }
    if (ancestor != null && !Files.isDirectory(ancestor)) {
      throw new TypeConversionException(ancestor + " is a file, not a directory");
    }
    return path;
  }
}
