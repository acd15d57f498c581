package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * kvctl: the command line client of a Ballot (or etcd v3) cluster.
 *
 * <p>{@link #run} is the whole program with its environment and streams passed in, so that tests
 * can drive it; {@link #main} wires it to the process.
 */
@Command(
    name = "kvctl",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = KvctlVersion.class,
    description = "Reads and writes a Ballot cluster (any etcd v3 cluster works too).",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      PutCommand.class,
      GetCommand.class,
      DelCommand.class,
      CasCommand.class,
      WatchCommand.class,
      CompactCommand.class,
      IncrCommand.class,
      StatusCommand.class,
      SnapshotCommand.class,
      MembersCommand.class,
      MemberCommand.class,
      MoveLeaderCommand.class,
      LeaseCommand.class,
      LockCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:error from the server, or unknown",
      "2:usage error",
      "3:compare failed (cas)",
      "4:outcome unknown: timed out (a write may or may not have been applied)",
      "5:unavailable: no endpoint reachable, or no leader (nothing written)"
    },
    footer = {
      "",
      "Endpoints come from --endpoints, else $"
          + Kvctl.ENDPOINTS_ENV
          + ", else "
          + Kvctl.DEFAULT_ENDPOINT
          + "."
    })
public final class Kvctl implements Runnable {
  /** The environment variable holding the default endpoints, comma-separated. */
  public static final String ENDPOINTS_ENV = "BALLOT_ENDPOINTS";

  /** The first node of the local cluster started by scripts/start-cluster.sh. */
  public static final String DEFAULT_ENDPOINT = "127.0.0.1:2379";

  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  /** Held so that the logging configuration is not garbage collected. */
  private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

  /** Output formats of -w. */
  enum Format {
    TABLE,
    JSON
  }

  @Spec CommandSpec spec;

  @Option(
      names = "--endpoints",
      paramLabel = "ADDRS",
      description =
          "Comma-separated host:port list, tried in order (default: $"
              + ENDPOINTS_ENV
              + ", else "
              + DEFAULT_ENDPOINT
              + ").",
      scope = ScopeType.INHERIT)
  String endpoints;

  @Option(
      names = {"-w", "--write-out"},
      paramLabel = "FORMAT",
      description = "Output format: table or json (default: table).",
      scope = ScopeType.INHERIT)
  Format format;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Deadline of each request, retries included: 500ms, 5s, 1m (default: 5s).",
      scope = ScopeType.INHERIT)
  Duration timeout;

  private final Map<String, String> env;
  private final Terminal terminal;

  private Kvctl(Map<String, String> env, Terminal terminal) {
    this.env = env;
    this.terminal = terminal;
  }

  /** Without a subcommand, kvctl prints its help. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command (see 'kvctl --help')");
  }

  /**
   * Runs kvctl as a process would.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    GRPC_LOGGER.setLevel(Level.OFF); // gRPC's own log lines would break the one-line errors
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code = run(System.getenv(), System.in, System.out, err, args);
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one kvctl command with byte streams: keys and values are printed as raw bytes, and {@code
   * put KEY} without a value reads it from {@code in}.
   *
   * @param env the environment ({@value #ENDPOINTS_ENV} is read from it)
   * @param in standard input
   * @param out where results go
   * @param err where the one-line error goes
   * @param args the command line
   * @return the exit code, see {@link ExitCodes}
   */
  public static int run(
      Map<String, String> env, InputStream in, OutputStream out, PrintWriter err, String... args) {
    PrintWriter text = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    boolean interactive = in == System.in && System.console() != null;
    int code = run(env, new Terminal(in, text, out, interactive), err, args);
    text.flush();
    return code;
  }

  /**
   * Runs one kvctl command with text streams: keys and values that are not UTF-8 are printed with
   * replacement characters (use the byte-stream variant to keep them), and standard input is empty.
   *
   * @param env the environment ({@value #ENDPOINTS_ENV} is read from it)
   * @param out where results go
   * @param err where the one-line error goes
   * @param args the command line
   * @return the exit code, see {@link ExitCodes}
   */
  public static int run(Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
    return run(env, new Terminal(InputStream.nullInputStream(), out, null, false), err, args);
  }

  private static int run(
      Map<String, String> env, Terminal terminal, PrintWriter err, String... args) {
    PrintWriter out = terminal.text();
    CommandLine commandLine = new CommandLine(new Kvctl(env, terminal));
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setParameterExceptionHandler(
        (ex, ignoredArgs) -> {
          String command = ex.getCommandLine().getCommandSpec().qualifiedName();
          err.println("kvctl: " + ex.getMessage() + " (see '" + command + " --help')");
          return ExitCodes.USAGE;
        });
    commandLine.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          Throwable failure = unwrap(ex);
          err.println("kvctl: " + message(failure));
          return ExitCodes.of(failure);
        });
    int code = commandLine.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** Opens a client on the chosen endpoints with the chosen deadline. */
  BallotClient openClient() {
    return openClient(endpointList());
  }

  /** Opens a client on the given endpoints with the chosen deadline. */
  BallotClient openClient(List<String> addresses) {
    Duration requestTimeout = timeout();
    Duration connectTimeout = requestTimeout.dividedBy(2);
    if (connectTimeout.compareTo(MAX_CONNECT_TIMEOUT) > 0) {
      connectTimeout = MAX_CONNECT_TIMEOUT;
    }
    return BallotClient.builder()
        .endpoints(addresses)
        .requestTimeout(requestTimeout)
        .connectTimeout(connectTimeout)
        .build();
  }

  /** The endpoints from --endpoints, the environment, or the default, in that order. */
  List<String> endpointList() {
    String list = endpoints;
    if (list == null) {
      list =
          env.getOrDefault(ENDPOINTS_ENV, "").isBlank() ? DEFAULT_ENDPOINT : env.get(ENDPOINTS_ENV);
    }
    List<String> addresses =
        Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (addresses.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no endpoint given in '" + list + "'");
    }
    return addresses;
  }

  Terminal terminal() {
    return terminal;
  }

  Format format() {
    return format == null ? Format.TABLE : format;
  }

  Duration timeout() {
    return timeout == null ? DEFAULT_TIMEOUT : timeout;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable current = failure;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static String message(Throwable failure) {
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      return failure.getClass().getSimpleName();
    }
    return message.replace('\n', ' ');
  }
}
