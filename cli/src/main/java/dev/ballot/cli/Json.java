package dev.ballot.cli;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON object written on one line, fields in the order they were added. Values: String,
 * Long/Integer/BigInteger, Boolean, null, Json, and Lists of those.
 */
final class Json {
  private final Map<String, Object> fields = new LinkedHashMap<>();

  static Json object() {
    return new Json();
  }

  Json put(String name, Object value) {
    fields.put(name, value);
    return this;
  }

  /** Adds the field unless it is 0, like Go's omitempty. */
  Json putNonZero(String name, long value) {
    return value == 0 ? this : put(name, value);
  }

  /** Adds the field unless it is empty (a string or a list), like Go's omitempty. */
  Json putNonEmpty(String name, Object value) {
    boolean empty =
        value == null
            || (value instanceof String text && text.isEmpty())
            || (value instanceof List<?> list && list.isEmpty())
            || (value instanceof Boolean flag && !flag);
    return empty ? this : put(name, value);
  }

  /** A uint64 (member ids) as an unsigned JSON number. */
  static BigInteger unsigned(long value) {
    return new BigInteger(Long.toUnsignedString(value));
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    write(this, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      writeString(text, out);
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof BigInteger
        || value instanceof Boolean) {
      out.append(value);
    } else if (value instanceof Json json) {
      out.append('{');
      String separator = "";
      for (Map.Entry<String, Object> field : json.fields.entrySet()) {
        out.append(separator);
        writeString(field.getKey(), out);
        out.append(':');
        write(field.getValue(), out);
        separator = ",";
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      String separator = "";
      for (Object element : list) {
        out.append(separator);
        write(element, out);
        separator = ",";
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass());
    }
  }

  private static void writeString(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
