package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MemberListRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real kvserver process (the server's main class in its own JVM, as the cluster tests start it)
 * refuses a bad flag with one line on stderr and exit code 2, and an address in use with one line
 * and exit code 1, without a stack trace and without starting anything; with {@code --log-format
 * json} every line it writes on stdout is a JSON object; {@code --network-threads} sizes its
 * network event loops; {@code --peer-source-addr} is where its connections to peers come from.
 */
class KvServerFlagsProcessTest {
  private static final long EXIT_TIMEOUT_SECONDS = 60;

  @RegisterExtension final Clusters clusters = new Clusters();

  private final Path workDir =
      Path.of(System.getProperty("ballot.it.workDir", "target/it"), "KvServerFlagsProcessTest")
          .toAbsolutePath();

  @Test
  void portOutOfRangeExitsWithCode2AndOneLine() throws Exception {
    Path dataDir = workDir.resolve("out-of-range");
    Exit exit =
        run(
            "--data-dir",
            dataDir.toString(),
            "--client-addr",
            "127.0.0.1:99999",
            "--initial-cluster",
            "127.0.0.1:2380");

    assertThat(exit.code()).as(exit.toString()).isEqualTo(2);
    assertThat(exit.stderr().lines().toList())
        .containsExactly(
            "kvserver: invalid value for option '--client-addr': '127.0.0.1:99999': port 99999 is"
                + " out of range 1-65535");
    assertThat(exit.stdout()).isEmpty();
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void peerPortInUseExitsWithCode1AndOneLine() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String peerAddr = "127.0.0.1:" + busy.getLocalPort();
      Path dataDir = workDir.resolve("port-in-use");
      Exit exit =
          run(
              "--data-dir",
              dataDir.toString(),
              "--client-addr",
              "127.0.0.1:" + freePort(),
              "--peer-addr",
              peerAddr,
              "--initial-cluster",
              peerAddr);

      assertThat(exit.code()).as(exit.toString()).isEqualTo(1);
      assertThat(exit.stderr().lines().toList())
          .singleElement()
          .asString()
          .startsWith("kvserver: cannot listen on --peer-addr " + peerAddr + ": ")
          .containsIgnoringCase("in use");
      assertThat(exit.stdout()).isEmpty();
      assertThat(dataDir.resolve("db")).doesNotExist();
    }
  }

  @Test
  void networkThreadsBoundsTheEventLoopsThatCarryEveryConnection() throws Exception {
    KvCluster cluster =
        clusters.start(
            clusters
                .builder()
                .nodes(1)
                .flavor(ServerFlavor.KVSERVER)
                .serverArgs("--network-threads", "2"));
    // Each connection is handed to the next event loop: eight of them start every loop there is
    // (gRPC's default would be twice the processors, at least 4 here).
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        ManagedChannel channel =
            ManagedChannelBuilder.forTarget(cluster.clientAddress(0)).usePlaintext().build();
        channels.add(channel);
        Etcd.put(KVGrpc.newBlockingStub(channel), "network-threads/" + i, "v");
      }
      assertThat(eventLoopThreads(cluster.pid(0))).isEqualTo(2);
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  @Test
  void peerSourceAddrIsWhereConnectionsToPeersComeFrom() throws Exception {
    // A peer that only listens: the new node's discovery dials it and must come from the source.
    try (ServerSocket peer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      peer.setSoTimeout(30_000);
      String self = "127.0.0.1:" + freePort();
      Path dataDir = workDir.resolve("peer-source");
      List<String> command =
          kvserverCommand(
              "--data-dir",
              dataDir.toString(),
              "--client-addr",
              "127.0.0.1:" + freePort(),
              "--peer-addr",
              self,
              "--initial-cluster",
              self + ",127.0.0.1:" + peer.getLocalPort(),
              "--peer-source-addr",
              "127.0.1.77");
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (java.net.Socket connection = peer.accept()) {
        assertThat(connection.getInetAddress().getHostAddress()).isEqualTo("127.0.1.77");
      } finally {
        process.destroyForcibly().waitFor();
      }
    }
  }

  @Test
  void nodesWhoseInitialClustersSpellAMemberDifferentlyStartFromOneMemberList() throws Exception {
    List<Integer> ports = FreePorts.take(6);
    int[] peerPorts = {ports.get(0), ports.get(1), ports.get(2)};
    int[] clientPorts = {ports.get(3), ports.get(4), ports.get(5)};
    List<Process> processes = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    Files.createDirectories(workDir);
    Path dataDirs = Files.createTempDirectory(workDir, "spelled-"); // new nodes: empty data
    try {
      for (int i = 0; i < 3; i++) {
        // Node i names itself "localhost", the others by IP address.
        List<String> initialCluster = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
          initialCluster.add((i == j ? "localhost:" : "127.0.0.1:") + peerPorts[j]);
        }
        Path dataDir = dataDirs.resolve("node" + i);
        processes.add(
            new ProcessBuilder(
                    kvserverCommand(
                        "--data-dir",
                        dataDir.toString(),
                        "--client-addr",
                        "127.0.0.1:" + clientPorts[i],
                        "--peer-addr",
                        "127.0.0.1:" + peerPorts[i],
                        "--initial-cluster",
                        String.join(",", initialCluster)))
                .redirectErrorStream(true)
                .redirectOutput(dataDirs.resolve("node" + i + ".log").toFile())
                .start());
        channels.add(
            ManagedChannelBuilder.forTarget("127.0.0.1:" + clientPorts[i]).usePlaintext().build());
      }
      List<List<String>> seen = new ArrayList<>();
      for (int n = 0; n < channels.size(); n++) {
        ManagedChannel channel = channels.get(n);
        try {
          seen.add(
              await()
                  .atMost(Duration.ofSeconds(60))
                  .ignoreExceptions()
                  .until(() -> peerUrls(channel), urls -> urls.size() == 3));
        } catch (ConditionTimeoutException e) {
          StringBuilder logs = new StringBuilder("node " + n + " listed no three members");
          for (int i = 0; i < 3; i++) {
            logs.append("\n--- node").append(i);
            logs.append(processes.get(i).isAlive() ? "" : " (exited)").append('\n');
            logs.append(KvNode.logTail(dataDirs.resolve("node" + i + ".log"), 60));
          }
          throw new AssertionError(logs.toString(), e);
        }
      }
      List<String> expected = new ArrayList<>();
      for (int port : peerPorts) {
        expected.add("http://127.0.0.1:" + port);
      }
      assertThat(seen.get(0)).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(seen).allSatisfy(urls -> assertThat(urls).isEqualTo(seen.get(0)));
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      for (Process process : processes) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  /** The peer URLs of every member, as a node lists them (etcd's MemberList). */
  private static List<String> peerUrls(ManagedChannel channel) {
    List<String> urls = new ArrayList<>();
    ClusterGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .memberList(MemberListRequest.getDefaultInstance())
        .getMembersList()
        .forEach(member -> urls.addAll(member.getPeerURLsList()));
    return urls;
  }

  /** The process's threads named as gRPC's event loops (Linux keeps 15 characters of a name). */
  private static long eventLoopThreads(long pid) throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      return tasks
          .filter(
              task -> {
                try {
                  return Files.readString(task.resolve("comm")).startsWith("grpc-default-wo");
                } catch (IOException e) {
                  return false; // the thread ended meanwhile
                }
              })
          .count();
    }
  }

  @Test
  void logFormatJsonWritesOneJsonObjectPerLine() throws Exception {
    Files.createDirectories(workDir);
    Path stdout = Files.createTempFile(workDir, "json-stdout-", ".txt");
    String peerAddr = "127.0.0.1:" + freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The shipped logback.xml: the server's test jar, on this class path, brings logback-test.xml.
    command.add("-Dlogback.configurationFile=logback.xml");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ServerFlavor.MAIN_CLASS);
    command.addAll(
        List.of(
            "--data-dir",
            Files.createTempDirectory(workDir, "json-log-").toString(),
            "--client-addr",
            "127.0.0.1:" + freePort(),
            "--peer-addr",
            peerAddr,
            "--initial-cluster",
            peerAddr,
            "--log-format",
            "json"));
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      await()
          .atMost(Duration.ofSeconds(EXIT_TIMEOUT_SECONDS))
          .until(
              () -> Files.readString(stdout, StandardCharsets.UTF_8).contains("serving clients"));
    } finally {
      process.destroy();
      if (!process.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }

    List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
    assertThat(lines).isNotEmpty();
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode event = json.readTree(line);
      assertThat(event.isObject()).as(line).isTrue();
      assertThat(event.path("level").isTextual()).as(line).isTrue();
      assertThat(event.path("logger").isTextual()).as(line).isTrue();
      assertThat(event.path("msg").isTextual()).as(line).isTrue();
    }
    assertThat(lines).anyMatch(line -> line.contains("\"logger\":\"dev.ballot.KvServer\""));
  }

  private Exit run(String... args) throws IOException, InterruptedException {
    Files.createDirectories(workDir);
    Path stdout = Files.createTempFile(workDir, "stdout-", ".txt");
    Path stderr = Files.createTempFile(workDir, "stderr-", ".txt");
    List<String> command = kvserverCommand(args);
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    if (!process.waitFor(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(
          "kvserver " + String.join(" ", args) + " still runs after " + EXIT_TIMEOUT_SECONDS + "s");
    }
    return new Exit(
        process.exitValue(),
        Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  /** The server's main class in a JVM of its own, on this test's class path. */
  private static List<String> kvserverCommand(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ServerFlavor.MAIN_CLASS);
    command.addAll(List.of(args));
    return command;
  }

  /** A loopback port below the ephemeral range, for a server that binds it seconds later. */
  private static int freePort() {
    return FreePorts.take(1).get(0);
  }

  private record Exit(int code, String stdout, String stderr) {}
}
