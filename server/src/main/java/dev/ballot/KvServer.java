package dev.ballot;

import dev.ballot.flags.ServerFlags;
import dev.ballot.logging.JulBridge;
import dev.ballot.logging.LogFormat;
import dev.ballot.logging.LogLevels;
import dev.ballot.membership.Discovery;
import dev.ballot.membership.Registration;
import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.RocksDbLibrary;
import dev.ballot.storage.StorageCorruptionException;
import dev.ballot.transport.NetworkThreads;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code kvserver}: one Ballot node. The entry point: parses the flags, runs the node until a
 * signal or a fatal error stops it, and turns the reason into the exit code.
 */
@Command(
    name = "kvserver",
    mixinStandardHelpOptions = true,
    version = "kvserver 0.1.0",
    description = "Runs one node of a Ballot cluster (etcd v3 API for clients).",
    footer = {
      "",
      "On first start the nodes listed in --initial-cluster discover each other and number",
      "themselves 1..N; a node started with --join instead registers with a running cluster",
      "and gets the next id. The identity is stored in --data-dir and reused on every restart.",
      "Exit codes: 0 stopped cleanly, 1 fatal error or an address it cannot listen on, 2 bad",
      "flags (or a restore refused: the data directory holds data, or the backup file is not",
      "valid), 3 a disk write or sync failed (I/O error, disk full), 4 corrupt data found (log,",
      "snapshot, identity)."
    })
public final class KvServer implements java.util.concurrent.Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(KvServer.class);
  private static final long SHUTDOWN_WAIT_SECONDS = 30;

  /** A write or sync to disk failed (I/O error, full disk): the node stopped at once. */
  public static final int EXIT_DISK_FAILURE = 3;

  /** Stored data is corrupt: the node refused to start on it (or stopped when it met it). */
  public static final int EXIT_CORRUPT_DATA = 4;

  @Mixin ServerOptions options = new ServerOptions();

  /** Counted down with the exit code once the node stopped (or never started). */
  private final CountDownLatch stopped = new CountDownLatch(1);

  private volatile int finalExitCode = 1;

  /**
   * Netty samples one buffer allocation in 128 with a stack trace, to report leaks; on every
   * request path that is measurable CPU. Set the property to turn it back on.
   */
  private static final String LEAK_DETECTION = "io.grpc.netty.shaded.io.netty.leakDetection.level";

  public static void main(String[] args) {
    // Before any org.rocksdb class: RocksDB's own loader would leave a copy behind per kill.
    try {
      RocksDbLibrary.load();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      System.err.println(
          "kvserver: cannot load RocksDB's native library through java.io.tmpdir ("
              + System.getProperty("java.io.tmpdir")
              + "): "
              + e.getMessage());
      System.exit(1);
    }
    if (System.getProperty(LEAK_DETECTION) == null) {
      System.setProperty(LEAK_DETECTION, "disabled");
    }
    JulBridge.install();
    System.exit(ServerFlags.commandLine(new KvServer()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!LogFormat.apply(options.logFormat) && options.logFormat != LogFormat.TEXT) {
      log.warn(
          "log format not applied: the Logback configuration in use has no {} format={}",
          dev.ballot.logging.LineEncoder.class.getName(),
          options.logFormat);
    }
    LogLevels.apply(options.logLevel);
    NetworkThreads.apply(options.networkThreads);
    int code = 1; // an exception not caught below: picocli reports it and exits with 1
    try {
      code = runAndMapErrors();
      return code;
    } finally {
      finalExitCode = code;
      stopped.countDown();
    }
  }

  private int runAndMapErrors() throws Exception {
    try {
      return run();
    } catch (StorageCorruptionException e) {
      log.error("cannot start: corrupt data: {}", e.getMessage());
      return EXIT_CORRUPT_DATA;
    } catch (DiskFailureException e) {
      log.error("cannot start: disk failure: {}", e.getMessage());
      return EXIT_DISK_FAILURE;
    } catch (Discovery.DiscoveryException | Registration.RegistrationException e) {
      log.error("cannot start: {}", e.getMessage());
      return 1;
    } catch (IOException e) {
      // The data directory or a file in it cannot be read or written; the cause names it.
      log.error(
          "cannot start: {}{}",
          e.getMessage(),
          e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")");
      return 1;
    }
  }

  private int run() throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    AtomicReference<Object> fatal = new AtomicReference<>();
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: wake the main thread (also out of discovery) and let it stop the node
                  // (a leader hands over first) and close the storage before the JVM halts.
                  boolean stoppedBySignal = stopped.getCount() > 0;
                  // Interrupt first: once woken by the latch, the main thread clears the flag and
                  // stops the node with blocking waits that a late interrupt would cut short.
                  main.interrupt();
                  stop.countDown();
                  try {
                    if (stopped.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS) && stoppedBySignal) {
                      // The JVM would exit with 143 after a SIGTERM whatever the node did; report
                      // how it stopped instead (0: cleanly), as for any other reason to stop.
                      Runtime.getRuntime().halt(finalExitCode);
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "kvserver-shutdown"));
    try {
      int refused = RestoreAtStartup.seed(options);
      if (refused != 0) {
        return refused;
      }
      return new NodeWiring(options).run(stop, fatal);
    } catch (InterruptedException e) {
      log.info("stopped during start-up");
      return 0;
    }
  }

  /** The exit code for why a running node stopped: null for a signal. */
  static int exitCode(Object stopReason) {
    if (stopReason == null || stopReason == StopOnRemoval.REASON) {
      return 0;
    }
    if (stopReason instanceof DiskFailureException) {
      return EXIT_DISK_FAILURE;
    }
    return stopReason instanceof StorageCorruptionException ? EXIT_CORRUPT_DATA : 1;
  }
}
