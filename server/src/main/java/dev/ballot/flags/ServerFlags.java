package dev.ballot.flags;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How {@code kvserver} treats its command line: each value is checked by its converter while
 * parsing, the rules between flags after parsing, and both listen addresses are tried before
 * anything starts. Every refusal is one line on stderr, {@code kvserver: ...}, never a stack trace.
 *
 * <p>Exit codes: {@link #USAGE} (2) for a bad command line, {@link #FAILURE} (1) when the node
 * cannot run as asked (an address in use or not local, a fatal error while running).
 */
public final class ServerFlags {
  public static final int FAILURE = 1;
  public static final int USAGE = 2;

  /** etcd refuses election timeouts over 50 s; so does Ballot. */
  public static final long MAX_ELECTION_TIMEOUT_MS = 50_000;

  /** The election timeout must cover this many heartbeats. */
  public static final long MIN_HEARTBEATS_PER_ELECTION = 3;

  private static final Logger log = LoggerFactory.getLogger(ServerFlags.class);

  private ServerFlags() {}

  /** The command line for {@code command} (a picocli {@code @Command}), with these rules. */
  public static CommandLine commandLine(Object command) {
    CommandLine cmd = new CommandLine(command);
    cmd.setParameterExceptionHandler(
        (ex, args) -> {
          printError(ex.getCommandLine(), ex.getMessage());
          return USAGE;
        });
    cmd.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (!(ex instanceof ListenFailure)) {
            log.error("fatal error", ex);
          }
          printError(commandLine, ex instanceof ListenFailure ? ex.getMessage() : ex.toString());
          return FAILURE;
        });
    cmd.setExecutionStrategy(ServerFlags::execute);
    return cmd;
  }

  private static int execute(ParseResult parseResult) {
    if (CommandLine.printHelpIfRequested(parseResult)) {
      return CommandLine.ExitCode.OK;
    }
    CommandSpec spec = parseResult.commandSpec();
    check(spec);
    try {
      tryListen(spec, "--peer-addr");
      tryListen(spec, "--client-addr");
      if (value(spec, "--http-addr") != null) {
        tryListen(spec, "--http-addr");
      }
    } catch (ListenFailure e) {
      printError(spec.commandLine(), e.getMessage());
      return FAILURE;
    }
    return new CommandLine.RunLast().execute(parseResult);
  }

  /** The rules between flags, and that the data directory can be written. */
  static void check(CommandSpec spec) {
    long heartbeatMs = value(spec, "--heartbeat-interval-ms");
    long electionMs = value(spec, "--election-timeout-ms");
    if (electionMs < MIN_HEARTBEATS_PER_ELECTION * heartbeatMs) {
      throw invalid(
          spec,
          "--election-timeout-ms",
          electionMs
              + " must be at least "
              + MIN_HEARTBEATS_PER_ELECTION
              + " x --heartbeat-interval-ms ("
              + heartbeatMs
              + ")");
    }
    if (electionMs > MAX_ELECTION_TIMEOUT_MS) {
      throw invalid(
          spec, "--election-timeout-ms", electionMs + " is more than " + MAX_ELECTION_TIMEOUT_MS);
    }
    List<String> initialCluster = value(spec, "--initial-cluster");
    List<String> join = value(spec, "--join");
    Path restoreFrom = value(spec, "--restore-from");
    if (!initialCluster.isEmpty() && !join.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "options '--initial-cluster' and '--join' exclude each other: --initial-cluster starts"
              + " a new cluster, --join joins a running one");
    }
    if (restoreFrom != null && initialCluster.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "option '--restore-from' seeds a new cluster: give --initial-cluster too"
              + (join.isEmpty() ? "" : " (and not --join)"));
    }
    try {
      AutoCompactionFlags.parse(
          value(spec, "--auto-compaction-mode"), value(spec, "--auto-compaction-retention"));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    requireDistinct(spec, "--initial-cluster", initialCluster);
    requireDistinct(spec, "--join", join);
    String clientAddr = value(spec, "--client-addr");
    if (clientAddr.equals(value(spec, "--peer-addr"))) {
      throw invalid(spec, "--client-addr", clientAddr + " is also --peer-addr; they must differ");
    }
    String httpAddr = value(spec, "--http-addr");
    if (httpAddr != null
        && (httpAddr.equals(clientAddr) || httpAddr.equals(value(spec, "--peer-addr")))) {
      throw invalid(
          spec,
          "--http-addr",
          httpAddr
              + " is also "
              + (httpAddr.equals(clientAddr) ? "--client-addr" : "--peer-addr")
              + "; they must differ");
    }
    InetAddress peerSource = value(spec, "--peer-source-addr");
    if (peerSource != null) {
      try (Socket socket = new Socket()) {
        socket.bind(new InetSocketAddress(peerSource, 0));
      } catch (IOException e) {
        throw invalid(
            spec,
            "--peer-source-addr",
            peerSource.getHostAddress() + " is not an address of this host: " + describe(e));
      }
    }
    Path dataDir = value(spec, "--data-dir");
    // A restore interrupted before db/ was complete leaves db.restoring/: the server names that.
    boolean fresh =
        !Files.exists(dataDir.resolve("db")) && !Files.exists(dataDir.resolve("db.restoring"));
    if (initialCluster.isEmpty() && join.isEmpty() && fresh) {
      throw new ParameterException(
          spec.commandLine(),
          "a new node needs option '--initial-cluster' (the peer addresses of all members) or"
              + " '--join' (peer addresses of members of a running cluster)");
    }
    try {
      Files.createDirectories(dataDir);
      Files.delete(Files.createTempFile(dataDir, ".write-check-", ".tmp"));
    } catch (IOException | RuntimeException e) {
      throw invalid(spec, "--data-dir", "cannot write in " + dataDir + ": " + describe(e));
    }
  }

  private static void requireDistinct(CommandSpec spec, String flag, List<String> addresses) {
    Set<String> seen = new HashSet<>();
    for (String address : addresses) {
      if (!seen.add(address)) {
        throw invalid(spec, flag, address + " is listed twice");
      }
    }
  }

  /** Binds and at once closes the flag's address, so that a busy port fails before start-up. */
  private static void tryListen(CommandSpec spec, String flag) {
    String address = value(spec, flag);
    InetSocketAddress socketAddress = HostPort.parse(address).socketAddress();
    if (socketAddress.isUnresolved()) {
      throw new ListenFailure(
          flag, address, new IOException("unknown host " + socketAddress.getHostString()));
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(socketAddress);
    } catch (IOException e) {
      throw new ListenFailure(flag, address, e);
    }
  }

  private static ParameterException invalid(CommandSpec spec, String flag, String why) {
    OptionSpec option = spec.findOption(flag);
    Object current = option.getValue();
    return new ParameterException(
        spec.commandLine(),
        "Invalid value for option '" + flag + "': " + why,
        option,
        String.valueOf(current));
  }

  @SuppressWarnings("unchecked")
  private static <T> T value(CommandSpec spec, String flag) {
    OptionSpec option = spec.findOption(flag);
    if (option == null) {
      throw new IllegalStateException("kvserver has no option " + flag);
    }
    return (T) option.getValue();
  }

  private static String describe(Exception e) {
    if (e instanceof FileSystemException fse) {
      if (fse.getReason() != null) {
        return fse.getReason().toLowerCase(Locale.ROOT);
      }
      if (e instanceof AccessDeniedException) {
        return "permission denied";
      }
      if (e instanceof NoSuchFileException) {
        return "no such file or directory";
      }
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /** One line: {@code kvserver: <message>}, the message starting lower case as Unix tools do. */
  static void printError(CommandLine cmd, String message) {
    String text = message == null || message.isBlank() ? "error" : message.strip();
    text = Character.toLowerCase(text.charAt(0)) + text.substring(1);
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandName() + ": " + text.replaceAll("\\s*[\\r\\n]+\\s*", "; "));
    err.flush();
  }
}
