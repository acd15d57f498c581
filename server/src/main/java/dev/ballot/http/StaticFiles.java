package dev.ballot.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The dashboard's files, read once from the classpath folder {@code dashboard/}. */
final class StaticFiles {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");

  record File(String contentType, byte[] bytes) {}

  private final Map<String, File> files = new HashMap<>();

  private StaticFiles() {}

  static StaticFiles load() {
    return new StaticFiles();
  }

  /** The file {@code name} of the dashboard, or null if there is none. */
  synchronized File get(String name) {
    if (!NAME.matcher(name).matches()) {
      return null;
    }
    File cached = files.get(name);
    if (cached != null) {
      return cached;
    }
    int dot = name.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1));
    if (type == null) {
      return null;
    }
    try (InputStream in =
        StaticFiles.class.getClassLoader().getResourceAsStream("dashboard/" + name)) {
      if (in == null) {
        return null;
      }
      File file = new File(type, in.readAllBytes());
      files.put(name, file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
