package dev.ballot.bench;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load generator of scripts/bench.sh: drives any etcd v3 cluster (etcd or Ballot) through the
 * generated etcd stubs over bare grpc-java, and prints one JSON line with the result on stdout; a
 * progress line goes to stderr. {@code report} turns the JSON lines of a bench run into a table and
 * a chart; {@code floor-server} serves the KV API from a map in memory, to measure the ceiling.
 */
@Command(
    name = "ballot-bench",
    description = {
      "Keeps --clients requests in flight against an etcd v3 cluster for --warmup, then measures"
          + " for --duration and prints one JSON line with the result on stdout."
    },
    subcommands = {ReportCommand.class, FloorServerCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the run passed",
      "1:the run failed (no operation, or over 1%% errors); its JSON line is printed",
      "2:usage error",
      "3:the run could not be done (no leader, preload failed, ...); a failed JSON line is printed"
    })
public final class BallotBench implements Callable<Integer> {
  static final int EXIT_FAILED_RUN = 1;
  static final int EXIT_NOT_RUN = 3;
  private static final int MAX_DEFAULT_CONNECTIONS = 16;

  /** Held so that the logging configuration is not garbage collected. */
  private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

  @Option(
      names = "--system",
      defaultValue = "etcd-api",
      description =
          "Label of the system measured, e.g. etcd or ballot (default: ${DEFAULT-VALUE}).")
  String system;

  @Option(
      names = "--row",
      description = "Label of the row in the matrix (default: \"WORKLOAD CLIENTS TARGET\").")
  String row;

  @Option(
      names = "--endpoints",
      split = ",",
      description = "Client endpoints host:port, comma-separated.")
  List<String> endpoints;

  @Option(
      names = "--workload",
      defaultValue = "put",
      converter = WorkloadConverter.class,
      description = "put, get-lin or get-ser (default: ${DEFAULT-VALUE}).")
  Workload workload;

  @Option(
      names = "--clients",
      defaultValue = "1",
      description = "Requests in flight at all times (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--connections",
      description = "Connections the clients share round-robin (default: min(clients, 16)).")
  Integer connections;

  @Option(
      names = "--target",
      defaultValue = "all",
      description =
          "all, leader or follower: the endpoints the requests go to (default: ${DEFAULT-VALUE}).")
  Target target;

  @Option(
      names = "--warmup",
      defaultValue = "30",
      description = "Seconds of load before measuring (default: ${DEFAULT-VALUE}).")
  double warmupS;

  @Option(
      names = "--duration",
      defaultValue = "20",
      description = "Seconds measured (default: ${DEFAULT-VALUE}).")
  double durationS;

  @Option(
      names = "--value-size",
      defaultValue = "256",
      description = "Bytes per value (default: ${DEFAULT-VALUE}).")
  int valueSizeBytes;

  @Option(
      names = "--keys",
      defaultValue = "10000",
      description =
          "Size of the key space; get workloads first write every key once if missing (default: ${DEFAULT-VALUE}).")
  int keys;

  @Option(
      names = "--server-pids",
      split = ",",
      description = "Pids of the servers, for CPU (from /proc/PID/stat) and peak RSS (VmHWM).")
  List<Long> serverPids = new ArrayList<>();

  @Option(
      names = "--clock-ticks",
      defaultValue = "100",
      description =
          "Clock ticks per second of /proc/PID/stat, as getconf CLK_TCK says (default: ${DEFAULT-VALUE}).")
  long clockTicksPerS;

  @Option(
      names = "--timeout",
      defaultValue = "10",
      description = "Seconds before a request counts as an error (default: ${DEFAULT-VALUE}).")
  double timeoutS;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the key choices (default: ${DEFAULT-VALUE}).")
  long seed;

  private final PrintStream out;
  private final PrintStream err;

  BallotBench(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    GRPC_LOGGER.setLevel(Level.SEVERE); // grpc's own warnings about closed channels are noise here
    System.exit(commandLine(System.out, System.err).execute(args));
  }

  static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new BallotBench(out, err));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    return cli;
  }

  @Override
  public Integer call() {
    if (endpoints == null || endpoints.isEmpty()) {
      err.println("ballot-bench: --endpoints is required (host:port,...)");
      return CommandLine.ExitCode.USAGE;
    }
    String rowLabel =
        row != null ? row : workload.cliName() + " " + clients + " " + target.cliName();
    LoadConfig config;
    try {
      config =
          new LoadConfig(
              system,
              rowLabel,
              endpoints,
              workload,
              clients,
              connections != null ? connections : Math.min(clients, MAX_DEFAULT_CONNECTIONS),
              target,
              seconds(warmupS),
              seconds(durationS),
              valueSizeBytes,
              keys,
              seconds(timeoutS),
              seed);
    } catch (IllegalArgumentException e) {
      err.println("ballot-bench: " + e.getMessage());
      return CommandLine.ExitCode.USAGE;
    }
    RunResult result;
    try {
      result =
          new LoadGenerator(config, new ServerProcesses(serverPids, clockTicksPerS), err).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return notRun(config, "interrupted");
    } catch (RuntimeException e) {
      err.println("ballot-bench: " + e.getMessage());
      return notRun(config, e.getMessage());
    }
    out.println(result.toJsonLine());
    out.flush();
    return result.failed() ? EXIT_FAILED_RUN : CommandLine.ExitCode.OK;
  }

  private int notRun(LoadConfig config, String reason) {
    RunResult failed =
        new RunResult(
            config.system(),
            config.row(),
            config.workload().cliName(),
            config.clients(),
            config.target().cliName(),
            0,
            0,
            0,
            Map.of(),
            true,
            reason == null ? "error" : reason,
            null,
            null,
            0);
    out.println(failed.toJsonLine());
    out.flush();
    return EXIT_NOT_RUN;
  }

  PrintStream out() {
    return out;
  }

  PrintStream err() {
    return err;
  }

  private static Duration seconds(double seconds) {
    if (Double.isNaN(seconds) || seconds < 0) {
      throw new IllegalArgumentException("durations must be non-negative seconds, not " + seconds);
    }
    return Duration.ofNanos(Math.round(seconds * 1e9));
  }

  /** Reads put, get-lin, get-ser. */
  static final class WorkloadConverter implements CommandLine.ITypeConverter<Workload> {
    @Override
    public Workload convert(String value) {
      try {
        return Workload.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
