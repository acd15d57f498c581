package dev.ballot.flags;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The node cannot listen on the address of {@code flag} (in use, not local, not resolvable). */
public final class ListenFailure extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  public ListenFailure(String flag, String address, IOException cause) {
    super("cannot listen on " + flag + " " + address + ": " + reason(cause), cause);
  }

  private static String reason(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
  }
}
