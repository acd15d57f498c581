package dev.ballot.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * kvctl's standard streams: text goes through {@link #text()}, keys and values through {@link
 * #bytesLine} as raw bytes (as etcdctl prints them), and a value may come from {@link
 * #readInput()}.
 */
final class Terminal {
  /** The largest value read from standard input: etcd's default request limit, 1.5 MiB. */
  static final int MAX_INPUT_BYTES = 3 * 512 * 1024;

  private final InputStream in;
  private final PrintWriter text;
  private final OutputStream raw;
  private final boolean interactive;

  /**
   * @param in standard input
   * @param text standard output as text
   * @param raw standard output as bytes, the stream under {@code text}; null when only text can be
   *     written, and bytes that are not UTF-8 are then replaced
   * @param interactive whether a person types standard input (then a value is not read from it)
   */
  Terminal(InputStream in, PrintWriter text, OutputStream raw, boolean interactive) {
    this.in = in;
    this.text = text;
    this.raw = raw;
    this.interactive = interactive;
  }

  boolean inputIsInteractive() {
    return interactive;
  }

  PrintWriter text() {
    return text;
  }

  /** Writes {@code bytes} as they are, then a newline. */
  void bytesLine(byte[] bytes) {
    if (raw == null) {
      text.println(new String(bytes, StandardCharsets.UTF_8));
      return;
    }
    text.flush();
    try {
      raw.write(bytes);
      raw.write('\n');
      raw.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to standard output", e);
    }
  }

  /** Reads standard input to its end, as bytes. */
  byte[] readInput() {
    try {
      byte[] bytes = in.readNBytes(MAX_INPUT_BYTES + 1);
      if (bytes.length > MAX_INPUT_BYTES) {
        throw new IllegalArgumentException(
            "the value on standard input is larger than " + MAX_INPUT_BYTES + " bytes");
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read standard input", e);
    }
  }
}
