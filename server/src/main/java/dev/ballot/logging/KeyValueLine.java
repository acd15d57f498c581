package dev.ballot.logging;

/**
 * The fields of a text log line: {@code key=value}, the value in double quotes when it is empty or
 * holds a space, a quote, an {@code =} or a character that is not printable; within quotes {@code
 * "} and {@code \} are escaped with {@code \}, line breaks and tabs as {@code \n}, {@code \r},
 * {@code \t}, any other control character as {@code \}{@code uXXXX}. Other non-ASCII text stays.
 */
final class KeyValueLine {
  private KeyValueLine() {}

  /** Appends {@code key=value}, quoting the value only if it needs it. */
  static StringBuilder field(StringBuilder line, String key, String value) {
    String text = value == null ? "" : value;
    return needsQuotes(text) ? quoted(line, key, text) : line.append(key).append('=').append(text);
  }

  /** Appends {@code key="value"}, always quoted (messages, where spaces are the rule). */
  static StringBuilder quoted(StringBuilder line, String key, String value) {
    String text = value == null ? "" : value;
    line.append(key).append("=\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> line.append("\\\"");
        case '\\' -> line.append("\\\\");
        case '\n' -> line.append("\\n");
        case '\r' -> line.append("\\r");
        case '\t' -> line.append("\\t");
        default -> {
          if (isUnprintable(c)) {
            JsonLine.unicodeEscape(line, c);
          } else {
            line.append(c);
          }
        }
      }
    }
    return line.append('"');
  }

  private static boolean needsQuotes(String text) {
    if (text.isEmpty()) {
      return true;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == ' ' || c == '"' || c == '=' || c == '\\' || isUnprintable(c)) {
        return true;
      }
    }
    return false;
  }

  /** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
  static boolean isUnprintable(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
