package dev.ballot.node;

import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.StorageCorruptionException;
import org.slf4j.Logger;

/**
 * How a thread of the node reports the failure that stops it: a disk failure or corrupt data in one
 * ERROR line that names the operation and the path (an operator's problem, not a bug), anything
 * else with its stack trace.
 */
final class FatalErrors {
  private FatalErrors() {}

  static void log(Logger log, String thread, Throwable e) {
    if (e instanceof DiskFailureException d) {
      log.error(
          "disk failure, stopping the node without acknowledging anything more thread={}"
              + " operation=\"{}\" path={} error=\"{}\"",
          thread,
          d.operation(),
          d.path(),
          rootMessage(d));
    } else if (e instanceof StorageCorruptionException) {
      log.error("corrupt data, stopping the node thread={} error=\"{}\"", thread, e.getMessage());
    } else {
      log.error("{} failed; stopping the node", thread, e);
    }
  }

  /** What the operating system said (e.g. "While fdatasync: FILE: Input/output error"). */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage();
  }
}
