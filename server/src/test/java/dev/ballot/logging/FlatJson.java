package dev.ballot.logging;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict reader of one flat JSON object whose values are strings: enough to prove that a log line
 * is JSON, and what its fields hold. Anything else (nesting, trailing text, a bad escape, a raw
 * control character) fails.
 */
final class FlatJson {
  private final String text;
  private int at;

  private FlatJson(String text) {
    this.text = text;
  }

  static Map<String, String> parse(String line) {
    FlatJson json = new FlatJson(line);
    Map<String, String> fields = new LinkedHashMap<>();
    json.expect('{');
    if (json.peek() != '}') {
      do {
        String key = json.string();
        json.expect(':');
        if (fields.put(key, json.string()) != null) {
          throw new IllegalArgumentException("key " + key + " twice in " + line);
        }
      } while (json.accept(','));
    }
    json.expect('}');
    if (json.at != line.length()) {
      throw new IllegalArgumentException("text after the object at " + json.at + ": " + line);
    }
    return fields;
  }

  private String string() {
    expect('"');
    StringBuilder value = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return value.toString();
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("raw control character at " + (at - 1) + ": " + text);
      }
      if (c != '\\') {
        value.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> value.append(e);
        case 'b' -> value.append('\b');
        case 'f' -> value.append('\f');
        case 'n' -> value.append('\n');
        case 'r' -> value.append('\r');
        case 't' -> value.append('\t');
        case 'u' -> {
          value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          at += 4;
        }
        default -> throw new IllegalArgumentException("bad escape \\" + e + " in " + text);
      }
    }
  }

  private char peek() {
    return at < text.length() ? text.charAt(at) : 0;
  }

  private char next() {
    if (at >= text.length()) {
      throw new IllegalArgumentException("ends early: " + text);
    }
    return text.charAt(at++);
  }

  private boolean accept(char c) {
    if (peek() == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!accept(c)) {
      throw new IllegalArgumentException("expected " + c + " at " + at + ": " + text);
    }
  }
}
