package dev.ballot.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the disk of a running process fail: {@code strace} attaches to every thread of it and
 * answers each {@code fsync} and {@code fdatasync} with an error (EIO as a dying disk, ENOSPC as a
 * full one). Closing detaches.
 */
final class SyscallFaults implements AutoCloseable {
  private final Process strace;

  private SyscallFaults(Process strace) {
    this.strace = strace;
  }

  /** The strace on PATH; fails with what to install when there is none. */
  static void requireInstalled() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, "strace"))) {
        return;
      }
    }
    throw new AssertionError(
        "strace is not on PATH. The disk fault tests need it: apt-get install -y strace"
            + " (.ci/run installs it before the build)");
  }

  /**
   * Fails every sync of process {@code pid} with {@code errno} (e.g. "EIO") from now on; strace's
   * output goes to {@code log}.
   */
  static SyscallFaults failSyncs(long pid, String errno, Path log) {
    List<String> command =
        List.of(
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=fsync,fdatasync",
            "-e",
            "inject=fsync,fdatasync:error=" + errno,
            "-p",
            Long.toString(pid));
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      return new SyscallFaults(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
    }
  }

  @Override
  public void close() {
    strace.destroy();
    try {
      if (!strace.waitFor(10, TimeUnit.SECONDS)) {
        strace.destroyForcibly();
      }
    } catch (InterruptedException e) {
      strace.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
