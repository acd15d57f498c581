package dev.ballot.it;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** One server process of a {@link KvCluster}: its ports, data, log, and the signals sent to it. */
final class KvNode {
  private static final Duration SIGNAL_TIMEOUT = Duration.ofSeconds(10);

  private final int index;
  private final int clientPort;
  private final int peerPort;

  /** kvserver's --http-addr port; 0 for a server started without one (etcd). */
  private final int httpPort;

  private final Path dataDir;
  private final Path logFile;
  private final List<String> command;
  private final List<String> firstStartArgs;
  private Process process;
  private ManagedChannel channel;
  private boolean expectedUp;
  private boolean paused;
  private int starts;

  KvNode(
      int index,
      int clientPort,
      int peerPort,
      int httpPort,
      Path dataDir,
      Path logFile,
      List<String> command,
      List<String> firstStartArgs) {
    this.index = index;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.httpPort = httpPort;
    this.dataDir = dataDir;
    this.logFile = logFile;
    this.command = List.copyOf(command);
    this.firstStartArgs = List.copyOf(firstStartArgs);
  }

  int index() {
    return index;
  }

  int clientPort() {
    return clientPort;
  }

  int peerPort() {
    return peerPort;
  }

  int httpPort() {
    return httpPort;
  }

  Path dataDir() {
    return dataDir;
  }

  Path logFile() {
    return logFile;
  }

  List<String> command() {
    return command;
  }

  String clientAddress() {
    return "127.0.0.1:" + clientPort;
  }

  synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Running and not stopped by SIGSTOP: expected to answer. */
  synchronized boolean isServing() {
    return isRunning() && !paused;
  }

  synchronized boolean isPaused() {
    return paused;
  }

  synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** True when the process exited although no test asked it to. */
  synchronized boolean exitedUnexpectedly() {
    return expectedUp && process != null && !process.isAlive();
  }

  synchronized Integer exitCode() {
    return process == null || process.isAlive() ? null : process.exitValue();
  }

  synchronized void start() {
    start(List.of());
  }

  /**
   * Starts the process; {@code jvmArgs} (e.g. {@code -Dballot.crashpoint=...}) go on the java
   * command line of this start only, right after the java binary.
   */
  synchronized void start(List<String> jvmArgs) {
    if (isRunning()) {
      throw new IllegalStateException("node " + index + " is already running, pid " + pid());
    }
    starts++;
    // Flags such as --restore-from that a node refuses once it has data go to the first start only.
    List<String> command = new java.util.ArrayList<>(this.command);
    if (starts == 1) {
      command.addAll(firstStartArgs);
    }
    command.addAll(1, jvmArgs);
    appendToLog(
        "==== harness: start #"
            + starts
            + " of node "
            + index
            + " at "
            + Instant.now()
            + "\n==== "
            + String.join(" ", command)
            + "\n");
    try {
      Files.createDirectories(dataDir);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + index + ": " + command.get(0), e);
    }
    expectedUp = true;
    paused = false;
    // A fresh channel: the old one may sit in a long reconnect backoff from the time it was down.
    closeChannel();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", clientPort).usePlaintext().build();
  }

  synchronized ManagedChannel channel() {
    if (channel == null) {
      throw new IllegalStateException("node " + index + " was never started");
    }
    return channel;
  }

  /** SIGKILL, and waits until the process is gone. */
  synchronized void kill9() {
    expectedUp = false;
    paused = false;
    if (process == null || !process.isAlive()) {
      return;
    }
    appendToLog("==== harness: SIGKILL node " + index + " at " + Instant.now() + "\n");
    process.destroyForcibly();
    awaitExit();
  }

  /**
   * Waits for a process that is expected to end by itself (e.g. at a crash point) and returns its
   * exit code, or null if it still runs after {@code timeout}.
   */
  Integer awaitOwnExit(Duration timeout) throws InterruptedException {
    Process running;
    synchronized (this) {
      requireRunningOrExited();
      running = process;
    }
    if (!running.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return null;
    }
    synchronized (this) {
      if (process == running) {
        expectedUp = false;
        paused = false;
      }
    }
    appendToLog(
        "==== harness: node "
            + index
            + " exited by itself with code "
            + running.exitValue()
            + " at "
            + Instant.now()
            + "\n");
    return running.exitValue();
  }

  /**
   * The process may end by itself from now on (it is about to be removed from the cluster): its
   * exit is no longer reported as unexpected. {@link #awaitOwnExit} still returns its code.
   */
  synchronized void expectOwnExit() {
    expectedUp = false;
  }

  /** SIGTERM, then SIGKILL if the process is still there after {@code gracePeriod}. */
  synchronized int stop(Duration gracePeriod) {
    expectedUp = false;
    if (process == null) {
      throw new IllegalStateException("node " + index + " was never started");
    }
    if (process.isAlive()) {
      if (paused) {
        signal("CONT");
        paused = false;
      }
      appendToLog("==== harness: SIGTERM node " + index + " at " + Instant.now() + "\n");
      process.destroy();
      try {
        if (!process.waitFor(gracePeriod.toMillis(), TimeUnit.MILLISECONDS)) {
          appendToLog("==== harness: still running after " + gracePeriod + ", SIGKILL\n");
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      awaitExit();
    }
    return process.exitValue();
  }

  synchronized void pause() {
    requireRunning("pause");
    signal("STOP");
    paused = true;
    appendToLog("==== harness: SIGSTOP node " + index + " at " + Instant.now() + "\n");
  }

  synchronized void resume() {
    requireRunning("resume");
    signal("CONT");
    paused = false;
    appendToLog("==== harness: SIGCONT node " + index + " at " + Instant.now() + "\n");
  }

  synchronized void closeChannel() {
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
  }

  /** The last {@code maxLines} lines of the node's log. */
  String logTail(int maxLines) {
    return logTail(logFile, maxLines);
  }

  /** The last {@code maxLines} lines of a kvserver's log, or why there are none. */
  static String logTail(Path logFile, int maxLines) {
    if (!Files.exists(logFile)) {
      return "(no log at " + logFile + ")";
    }
    Deque<String> tail = new ArrayDeque<>(maxLines);
    try (Stream<String> lines = Files.lines(logFile, StandardCharsets.UTF_8)) {
      lines.forEach(
          line -> {
            if (tail.size() == maxLines) {
              tail.removeFirst();
            }
            tail.addLast(line);
          });
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
    return String.join("\n", tail);
  }

  synchronized String describe() {
    String state;
    if (process == null) {
      state = "never started";
    } else if (process.isAlive()) {
      state = (paused ? "paused" : "running") + " pid " + process.pid();
    } else {
      state = "exited " + process.exitValue() + (expectedUp ? " UNEXPECTEDLY" : "");
    }
    return "node "
        + index
        + " client 127.0.0.1:"
        + clientPort
        + " peer 127.0.0.1:"
        + peerPort
        + " ["
        + state
        + "] log "
        + logFile;
  }

  private void requireRunningOrExited() {
    if (process == null) {
      throw new IllegalStateException("node " + index + " was never started");
    }
  }

  private void requireRunning(String action) {
    if (!isRunning()) {
      throw new IllegalStateException("cannot " + action + " node " + index + ": not running");
    }
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(SIGNAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "node " + index + " pid " + process.pid() + " did not exit within " + SIGNAL_TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for node " + index, e);
    }
  }

  private void signal(String name) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kill.waitFor(SIGNAL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          || kill.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -" + name + " " + process.pid() + " failed: " + output.trim());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling node " + index, e);
    }
  }

  private void appendToLog(String text) {
    try {
      Files.createDirectories(logFile.getParent());
      Files.writeString(
          logFile,
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
