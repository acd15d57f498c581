package dev.ballot.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A write or sync to the node's disk failed (an I/O error, a full disk). The node must stop at
 * once: what it was writing may not be on disk, so it may acknowledge nothing more, and retrying a
 * failed sync could report success for data the kernel already dropped (the "fsyncgate" lesson).
 */
public final class DiskFailureException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  private final String operation;
  private final transient Path path;

  public DiskFailureException(String operation, Path path, Throwable cause) {
    super(
        operation + " failed at " + path + ": " + cause.getMessage(),
        cause instanceof IOException io ? io : new IOException(cause));
    this.operation = operation;
    this.path = path;
  }

  /** What failed, e.g. "raft storage write". */
  public String operation() {
    return operation;
  }

  /** The file or folder it failed on. */
  public Path path() {
    return path;
  }
}
