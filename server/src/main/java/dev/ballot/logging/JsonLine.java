package dev.ballot.logging;

/**
 * The fields of a JSON log line. Strings are escaped as RFC 8259 asks, and everything outside
 * printable ASCII as {@code \}{@code uXXXX}, so a line is plain ASCII whatever a shipper assumes.
 */
final class JsonLine {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private JsonLine() {}

  /** Appends {@code "key":"value"} ({@code null} for a null value). */
  static StringBuilder field(StringBuilder line, String key, String value) {
    string(line, key).append(':');
    return value == null ? line.append("null") : string(line, value);
  }

  static StringBuilder string(StringBuilder line, String text) {
    line.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> line.append("\\\"");
        case '\\' -> line.append("\\\\");
        case '\n' -> line.append("\\n");
        case '\r' -> line.append("\\r");
        case '\t' -> line.append("\\t");
        case '\b' -> line.append("\\b");
        case '\f' -> line.append("\\f");
        default -> {
          if (c < 0x20 || c >= 0x7f) {
            unicodeEscape(line, c);
          } else {
            line.append(c);
          }
        }
      }
    }
    return line.append('"');
  }

  /** {@code \}{@code uXXXX}: a character outside the BMP arrives as its two surrogates. */
  static void unicodeEscape(StringBuilder line, char c) {
    line.append("\\u")
        .append(HEX[(c >> 12) & 0xf])
        .append(HEX[(c >> 8) & 0xf])
        .append(HEX[(c >> 4) & 0xf])
        .append(HEX[c & 0xf]);
  }
}
