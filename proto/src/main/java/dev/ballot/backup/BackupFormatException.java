package dev.ballot.backup;

import java.io.IOException;

/** A backup file that is not one, is damaged, or was written by an unknown format version. */
public final class BackupFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, with the offending values
   */
  public BackupFormatException(String message) {
    super(message);
  }
}
