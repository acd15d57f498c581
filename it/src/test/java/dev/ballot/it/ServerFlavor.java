package dev.ballot.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which server a {@link KvCluster} runs: Ballot's {@code kvserver} (the default), or a real etcd
 * from Debian's etcd-server, to check that a test expects what etcd itself answers. Chosen with
 * {@code -Dballot.it.server=kvserver|etcd}.
 */
public enum ServerFlavor {
  KVSERVER,
  ETCD;

  static final String MAIN_CLASS = "dev.ballot.KvServer";
  private static final String DEFAULT_JVM_ARGS =
      "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData";

  public static ServerFlavor fromSystemProperty() {
    String value = System.getProperty("ballot.it.server", "kvserver").trim();
    return value.isEmpty() ? KVSERVER : valueOf(value.toUpperCase(Locale.ROOT));
  }

  /** Only kvserver takes a per-node peer list, which is what lets a proxy sit on every link. */
  public boolean supportsLinkFaults() {
    return this == KVSERVER;
  }

  /**
   * Only kvserver lets a new node join by itself ({@code --join}: it registers, gets the next node
   * id, and is promoted from learner to voter by the leader); etcd wants a MemberAdd first and
   * never promotes by itself. {@link KvCluster#join()} does either; the tests of joining, promotion
   * by the leader and removed nodes that stop for good are Ballot-only.
   */
  public boolean joinsByRegistration() {
    return this == KVSERVER;
  }

  /** Only kvserver has Ballot's HTTP port (the dashboard, /v1/...); the harness gives it one. */
  public boolean servesHttp() {
    return this == KVSERVER;
  }

  /**
   * The exit code of a node that stopped cleanly after SIGTERM: kvserver's 0; etcd re-raises the
   * signal once it stopped, so its process ends by it (128 + 15).
   */
  public int cleanStopExitCode() {
    return this == KVSERVER ? 0 : 143;
  }

  /** What one node is started with. */
  record NodeLaunch(
      int index,
      int clientPort,
      int peerPort,
      int httpPort,
      Path dataDir,
      List<String> initialCluster,
      List<Integer> allPeerPorts,
      String advertisePeerAddr,
      String peerSourceAddr,
      KvCluster.Options options) {}

  List<String> command(NodeLaunch launch) {
    return switch (this) {
      case KVSERVER ->
          kvserverCommand(
              launch, List.of("--initial-cluster", String.join(",", launch.initialCluster())));
      case ETCD -> etcdCommand(launch, etcdMembers(launch), "new");
    };
  }

  /**
   * The command of a node that joins a running cluster. For kvserver, {@code
   * launch.initialCluster()} holds the members' peer addresses, given to {@code --join}; for etcd,
   * which joins after a MemberAdd, it holds the member list that MemberAdd answered, as {@code
   * name=peerURL} with this node's own entry, for {@code --initial-cluster-state=existing}.
   */
  List<String> joinCommand(NodeLaunch launch) {
    return switch (this) {
      case KVSERVER ->
          kvserverCommand(launch, List.of("--join", String.join(",", launch.initialCluster())));
      case ETCD -> etcdCommand(launch, launch.initialCluster(), "existing");
    };
  }

  private static List<String> kvserverCommand(NodeLaunch launch, List<String> membershipFlags) {
    KvCluster.Options options = launch.options();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String jvmArgs = System.getProperty("ballot.it.jvmArgs", DEFAULT_JVM_ARGS).trim();
    if (!jvmArgs.isEmpty()) {
      command.addAll(Arrays.asList(jvmArgs.split("\\s+")));
    }
    command.add("-Dballot.it.node=" + launch.index());
    command.add("@" + classPathArgFile(launch.dataDir().getParent()));
    command.add(MAIN_CLASS);
    command.add("--data-dir");
    command.add(launch.dataDir().toString());
    command.add("--client-addr");
    command.add("127.0.0.1:" + launch.clientPort());
    command.add("--peer-addr");
    command.add("127.0.0.1:" + launch.peerPort());
    if (launch.advertisePeerAddr() != null) {
      // Behind the harness's front: every member lists the front, and the front tells this node's
      // connections by their source address (see KvCluster).
      command.add("--advertise-peer-addr");
      command.add(launch.advertisePeerAddr());
      command.add("--peer-source-addr");
      command.add(launch.peerSourceAddr());
    }
    command.add("--http-addr");
    command.add("127.0.0.1:" + launch.httpPort());
    // Named after the harness's own numbering, as start-cluster.sh does: node i is "n<i>",
    // whatever member id discovery gives it.
    command.add("--name");
    command.add("n" + launch.index());
    command.addAll(membershipFlags);
    if (options.heartbeatIntervalMs() > 0) {
      command.add("--heartbeat-interval-ms");
      command.add(Long.toString(options.heartbeatIntervalMs()));
    }
    if (options.electionTimeoutMs() > 0) {
      command.add("--election-timeout-ms");
      command.add(Long.toString(options.electionTimeoutMs()));
    }
    command.add("--log-level");
    command.add(options.logLevel());
    command.addAll(options.serverArgs());
    return command;
  }

  /**
   * The test class path, in a java launcher argument file: the same classes as this JVM without a
   * command line several kilobytes long in every log and process listing.
   */
  private static Path classPathArgFile(Path dir) {
    Path file = dir.resolve("classpath.args");
    String classPath = System.getProperty("java.class.path");
    if (classPath.contains("\"") || classPath.contains("\\")) {
      throw new IllegalStateException("class path cannot go in an argument file: " + classPath);
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(file, "-cp\n\"" + classPath + "\"\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** etcd's --initial-cluster of a new cluster: node0=peer URL of node 0, and so on. */
  private static List<String> etcdMembers(NodeLaunch launch) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < launch.allPeerPorts().size(); i++) {
      members.add("node" + i + "=http://127.0.0.1:" + launch.allPeerPorts().get(i));
    }
    return members;
  }

  private static List<String> etcdCommand(
      NodeLaunch launch, List<String> members, String clusterState) {
    KvCluster.Options options = launch.options();
    String client = "http://127.0.0.1:" + launch.clientPort();
    String peer = "http://127.0.0.1:" + launch.peerPort();
    List<String> command =
        new ArrayList<>(
            List.of(
                "etcd",
                "--name=node" + launch.index(),
                "--data-dir=" + launch.dataDir(),
                "--listen-client-urls=" + client,
                "--advertise-client-urls=" + client,
                "--listen-peer-urls=" + peer,
                "--initial-advertise-peer-urls=" + peer,
                "--initial-cluster=" + String.join(",", members),
                "--initial-cluster-state=" + clusterState,
                "--logger=zap",
                "--log-level=" + options.logLevel().toLowerCase(Locale.ROOT)));
    if (options.heartbeatIntervalMs() > 0) {
      command.add("--heartbeat-interval=" + options.heartbeatIntervalMs());
    }
    if (options.electionTimeoutMs() > 0) {
      command.add("--election-timeout=" + options.electionTimeoutMs());
    }
    return command;
  }
}
