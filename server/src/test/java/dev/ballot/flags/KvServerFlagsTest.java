package dev.ballot.flags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.KvServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every bad value of every kvserver flag ends in one line on stderr naming the flag and exit code
 * 2, before anything starts; an address that cannot be bound ends in one line and exit code 1. The
 * command runs in-process, exactly as {@code KvServer.main} builds it.
 */
class KvServerFlagsTest {
  @TempDir static Path tmp;

  private static Path dataDir;
  private static Path aFile;
  private static String clientAddr;
  private static String peerAddr;

  @BeforeEach
  void files() throws IOException {
    int clientPort = freePort();
    int peerPort = freePort();
    while (peerPort == clientPort) {
      peerPort = freePort();
    }
    clientAddr = "127.0.0.1:" + clientPort;
    peerAddr = "127.0.0.1:" + peerPort;
    dataDir = tmp.resolve("data");
    aFile = tmp.resolve("a-file");
    if (!Files.exists(aFile)) {
      Files.writeString(aFile, "not a directory");
    }
  }

  /** Flags that are valid on their own; each case adds or overrides one. */
  private static List<String> base() {
    return List.of(
        "--data-dir",
        dataDir.toString(),
        "--client-addr",
        clientAddr,
        "--peer-addr",
        peerAddr,
        "--initial-cluster",
        peerAddr);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * A port held busy, none of the ports {@link #base()} names: the ports picked for the flags are
   * free again once picked, and the system may hand one of them out next.
   */
  private static ServerSocket busyPort() throws IOException {
    List<ServerSocket> passedOver = new ArrayList<>();
    try {
      while (true) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        String address = "127.0.0.1:" + socket.getLocalPort();
        if (!address.equals(clientAddr) && !address.equals(peerAddr)) {
          return socket;
        }
        passedOver.add(socket);
      }
    } finally {
      for (ServerSocket socket : passedOver) {
        socket.close();
      }
    }
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        bad("--client-addr", "127.0.0.1:99999", "out of range"),
        bad("--client-addr", "127.0.0.1", "no port"),
        bad("--client-addr", "127.0.0.1:", "port"),
        bad("--client-addr", ":2379", "no host"),
        bad("--client-addr", "127.0.0.1:abc", "not a number"),
        bad("--client-addr", "127.0.0.1:0", "out of range"),
        bad("--client-addr", "http://127.0.0.1:2379", "not host:port"),
        bad("--client-addr", "", "empty"),
        bad("--peer-addr", "127.0.0.1:-1", "port"),
        bad("--peer-addr", "[::1:2380", "no port"),
        bad("--advertise-peer-addr", "10.0.0.1", "no port"),
        bad("--advertise-client-addr", "a b:2379", "not host:port"),
        bad("--initial-cluster", "127.0.0.1:2,127.0.0.1:70000", "out of range"),
        bad("--initial-cluster", "127.0.0.1:2,,127.0.0.1:3", "empty"),
        bad("--initial-cluster", "127.0.0.1:2,127.0.0.1:3,127.0.0.1:2", "listed twice"),
        bad("--heartbeat-interval-ms", "0", "less than 1"),
        bad("--heartbeat-interval-ms", "-5", "less than 1"),
        bad("--heartbeat-interval-ms", "abc", "not a whole number"),
        bad("--heartbeat-interval-ms", "1.5", "not a whole number"),
        bad("--heartbeat-interval-ms", "99999999999999999999", "not a whole number"),
        bad("--election-timeout-ms", "0", "less than 1"),
        bad("--election-timeout-ms", "-1000", "less than 1"),
        bad("--election-timeout-ms", "100", "at least 3 x --heartbeat-interval-ms"),
        bad("--election-timeout-ms", "140", "at least 3 x --heartbeat-interval-ms"),
        bad("--election-timeout-ms", "60000", "more than 50000"),
        bad("--snapshot-count", "-1", "less than 0"),
        bad("--snapshot-count", "many", "not a whole number"),
        bad("--snapshot-catchup-entries", "-3", "less than 0"),
        bad("--network-threads", "-1", "not between 0 and 1024"),
        bad("--network-threads", "1025", "not between 0 and 1024"),
        bad("--network-threads", "two", "not a whole number"),
        bad("--peer-source-addr", "node1.example", "is not an IP address"),
        bad("--peer-source-addr", "10.0.0.256", "is not an IP address"),
        bad("--peer-source-addr", "127.0.0.1:2380", "is not an IP address"),
        bad("--peer-source-addr", "0.0.0.0", "is a wildcard"),
        bad("--peer-source-addr", "::", "is a wildcard"),
        bad("--peer-source-addr", "224.0.0.1", "is a multicast address"),
        // TEST-NET-1 (RFC 5737): never an address of a test machine.
        bad("--peer-source-addr", "192.0.2.1", "192.0.2.1 is not an address of this host"),
        bad("--log-level", "LOUD", "not a log level"),
        bad("--log-level", "INFO,dev.ballot.raft=LOUD", "'LOUD' in 'dev.ballot.raft=LOUD' is not"),
        bad("--log-level", "INFO,=DEBUG", "names no logger"),
        bad("--log-level", "dev.ballot.raft=DEBUG", "the root level comes first"),
        bad("--log-format", "xml", "'xml' is not a log format (text, json)"),
        bad("--restore-from", "/no/such/backup.ballot", "no such file"),
        bad("--restore-from", "/", "not a regular file"));
  }

  private static Arguments bad(String flag, String value, String why) {
    return Arguments.of(flag, value, why);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badValues")
  void badValueIsOneLineNamingTheFlagAndExitCode2(String flag, String value, String why) {
    List<String> args = new ArrayList<>(base());
    int at = args.indexOf(flag);
    if (at >= 0) {
      args.set(at + 1, value);
    } else {
      args.add(flag);
      args.add(value);
    }
    assertUsageError(run(args), flag, why);
  }

  @Test
  void dataDirThatIsAFile() {
    assertUsageError(run(with("--data-dir", aFile.toString())), "--data-dir", "not a directory");
  }

  @Test
  void dataDirBelowAFile() {
    assertUsageError(
        run(with("--data-dir", aFile.resolve("node1").toString())),
        "--data-dir",
        "not a directory");
  }

  @Test
  void dataDirNotWritable() {
    // sysfs refuses new files even to root, so this holds whoever runs the test.
    assertUsageError(run(with("--data-dir", "/sys")), "--data-dir", "cannot write in /sys");
  }

  @Test
  void unknownFlag() {
    List<String> args = new ArrayList<>(base());
    args.add("--quota-bytes-please");
    assertUsageError(run(args), "--quota-bytes-please", "unknown option");
  }

  @Test
  void missingDataDir() {
    assertUsageError(
        run(List.of("--initial-cluster", "127.0.0.1:2")), "--data-dir", "missing required");
  }

  @Test
  void flagWithoutItsValue() {
    List<String> args = new ArrayList<>(base());
    args.add("--heartbeat-interval-ms");
    assertUsageError(run(args), "--heartbeat-interval-ms", "");
  }

  @Test
  void newNodeWithoutInitialClusterOrJoin() {
    List<String> args = List.of("--data-dir", dataDir.toString(), "--client-addr", clientAddr);
    assertUsageError(run(args), "--initial-cluster", "new node");
  }

  @Test
  void restartedNodeNeedsNoInitialClusterOrJoin() throws IOException {
    Path restarted = tmp.resolve("restarted");
    Files.createDirectories(restarted.resolve("db"));
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + busy.getLocalPort();
      Result result = run(List.of("--data-dir", restarted.toString(), "--peer-addr", address));
      // Past every flag rule, it stopped only at the port in use.
      assertOneLine(result, ServerFlags.FAILURE);
      assertThat(result.err()).contains("cannot listen on --peer-addr " + address);
    }
  }

  @Test
  void interruptedRestoreIsLeftToTheServerToName() throws IOException {
    Path interrupted = tmp.resolve("interrupted");
    Files.createDirectories(interrupted.resolve("db.restoring"));
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + busy.getLocalPort();
      Result result = run(List.of("--data-dir", interrupted.toString(), "--peer-addr", address));
      assertOneLine(result, ServerFlags.FAILURE);
      assertThat(result.err()).contains("cannot listen on --peer-addr " + address);
    }
  }

  @Test
  void initialClusterAndJoinTogether() {
    List<String> args = new ArrayList<>(base());
    args.addAll(List.of("--join", "127.0.0.1:3"));
    assertUsageError(run(args), "--join", "exclude each other");
  }

  @Test
  void restoreWithoutInitialCluster() throws IOException {
    Path backup = Files.writeString(tmp.resolve("backup.ballot"), "x");
    List<String> args =
        List.of(
            "--data-dir",
            dataDir.toString(),
            "--join",
            "127.0.0.1:3",
            "--restore-from",
            backup.toString());
    assertUsageError(run(args), "--restore-from", "give --initial-cluster");
  }

  @Test
  void clientAddrSameAsPeerAddr() {
    assertUsageError(run(with("--client-addr", peerAddr)), "--client-addr", "must differ");
  }

  @Test
  void peerPortInUseIsOneLineAndExitCode1() throws IOException {
    try (ServerSocket busy = busyPort()) {
      String address = "127.0.0.1:" + busy.getLocalPort();
      Result result =
          run(
              List.of(
                  "--data-dir",
                  dataDir.toString(),
                  "--peer-addr",
                  address,
                  "--client-addr",
                  clientAddr,
                  "--initial-cluster",
                  address));
      assertOneLine(result, ServerFlags.FAILURE);
      assertThat(result.err()).contains("--peer-addr " + address).contains("in use");
    }
  }

  @Test
  void clientPortInUseIsOneLineAndExitCode1() throws IOException {
    try (ServerSocket busy = busyPort()) {
      String address = "127.0.0.1:" + busy.getLocalPort();
      Result result = run(with("--client-addr", address));
      assertOneLine(result, ServerFlags.FAILURE);
      assertThat(result.err()).contains("--client-addr " + address).contains("in use");
    }
  }

  @Test
  void addressThatIsNotLocalIsOneLineAndExitCode1() {
    // TEST-NET-1 (RFC 5737): never an address of this machine.
    Result result = run(with("--client-addr", "192.0.2.1:2379"));
    assertOneLine(result, ServerFlags.FAILURE);
    assertThat(result.err()).contains("cannot listen on --client-addr 192.0.2.1:2379");
  }

  @Test
  void helpStillWorks() {
    Result result = run(List.of("--help"));
    assertThat(result.exitCode()).isZero();
    assertThat(result.out()).contains("--client-addr").contains("Exit codes");
  }

  private static List<String> with(String flag, String value) {
    List<String> args = new ArrayList<>(base());
    args.set(args.indexOf(flag) + 1, value);
    return args;
  }

  private static void assertUsageError(Result result, String flag, String why) {
    assertOneLine(result, ServerFlags.USAGE);
    assertThat(result.err()).contains(flag).containsIgnoringCase(why);
  }

  private static void assertOneLine(Result result, int exitCode) {
    assertThat(result.exitCode()).as(result.err()).isEqualTo(exitCode);
    assertThat(result.err()).startsWith("kvserver: ").endsWith("\n");
    assertThat(result.err().strip().lines()).hasSize(1);
    assertThat(result.err()).doesNotContain("Exception").doesNotContain("at dev.ballot");
    assertThat(result.out()).isEmpty();
  }

  private static Result run(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = ServerFlags.commandLine(new KvServer());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exitCode = cmd.execute(args.toArray(String[]::new));
    return new Result(exitCode, out.toString(), err.toString());
  }

  private record Result(int exitCode, String out, String err) {}
}
