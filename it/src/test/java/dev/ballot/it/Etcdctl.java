package dev.ballot.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's etcdctl (ETCDCTL_API=3) against a cluster, as an operator would: to completion
 * ({@link #run}) or in the background ({@link #start}).
 */
final class Etcdctl {
  private static final Duration PROCESS_TIMEOUT = Duration.ofSeconds(30);

  /** What one etcdctl run printed. */
  record Result(int exitCode, String stdout, String stderr) {
    Result requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError(
            "etcdctl exited " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
      }
      return this;
    }
  }

  private final String endpoints;
  private final Path scratch;

  Etcdctl(String endpoints, Path scratch) {
    this.endpoints = endpoints;
    this.scratch = scratch;
  }

  /** The etcdctl on PATH; fails with what to install when there is none. */
  static Path requireInstalled() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "etcdctl");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(
        "etcdctl is not on PATH. The etcdctl compatibility tests need Debian's etcd-client: "
            + "apt-get install -y etcd-client (.ci/run installs it before the build)");
  }

  /**
   * Starts {@code etcdctl --endpoints=... args} in the background, for commands that run until
   * stopped ({@code watch}, {@code lock}, {@code elect}); its output is read while it runs.
   */
  Background start(String... args) {
    try {
      Files.createDirectories(scratch);
      Path out = Files.createTempFile(scratch, "stdout", ".txt");
      Path err = Files.createTempFile(scratch, "stderr", ".txt");
      ProcessBuilder builder =
          new ProcessBuilder(command(args))
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().put("ETCDCTL_API", "3");
      return new Background(String.join(" ", args), builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An etcdctl started by {@link #start}; closing it stops it with SIGTERM, as Ctrl-C would. */
  static final class Background implements AutoCloseable {
    private final String args;
    private final Process process;
    private final Path out;
    private final Path err;

    private Background(String args, Process process, Path out, Path err) {
      this.args = args;
      this.process = process;
      this.out = out;
      this.err = err;
    }

    /** What it printed on stdout so far. */
    String stdout() {
      return read(out);
    }

    String stderr() {
      return read(err);
    }

    boolean isRunning() {
      return process.isAlive();
    }

    /** The exit code once it ended by itself (within the process timeout). */
    int awaitExit() {
      try {
        if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new AssertionError("etcdctl " + args + " ran over " + PROCESS_TIMEOUT);
        }
        return process.exitValue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for etcdctl", e);
      }
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String toString() {
      return "etcdctl " + args + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr();
    }
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add("etcdctl");
    command.add("--endpoints=" + endpoints);
    command.add("--dial-timeout=5s");
    command.add("--command-timeout=10s");
    command.addAll(List.of(args));
    return command;
  }

  Result run(String... args) {
    return runWithInput("", args);
  }

  /** Runs {@code etcdctl --endpoints=... args} with {@code stdin} as its standard input. */
  Result runWithInput(String stdin, String... args) {
    List<String> command = command(args);
    try {
      Files.createDirectories(scratch);
      Path in = Files.createTempFile(scratch, "stdin", ".txt");
      Path out = Files.createTempFile(scratch, "stdout", ".txt");
      Path err = Files.createTempFile(scratch, "stderr", ".txt");
      Files.writeString(in, stdin, StandardCharsets.UTF_8);
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(in.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().put("ETCDCTL_API", "3");
      Process process = builder.start();
      if (!process.waitFor(PROCESS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(
            "etcdctl " + String.join(" ", args) + " ran over " + PROCESS_TIMEOUT);
      }
      return new Result(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running etcdctl", e);
    }
  }
}
