package dev.ballot.it;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * N server processes on 127.0.0.1, each with its own data directory and log, and a {@link
 * LinkProxy} on every directed peer link, so a test can kill, stop, pause, restart and cut off
 * nodes. It talks to them only through the etcd v3 API. Nodes are numbered from 0.
 *
 * <p>How links are cut (kvserver): node Y advertises a {@link NodeFront} F(Y) as its peer address
 * ({@code --advertise-peer-addr}), so every member lists the same addresses, whether it learned
 * them from its flags, the log or a leader's snapshot. Node X connects to the others from its own
 * source address ({@code --peer-source-addr} 127.0.1.(X+1)); F(Y) tells X's connections by that
 * address and hands them to the link X-&gt;Y. Cutting X-&gt;Y and Y-&gt;X cuts X from Y, and a node
 * added by {@link #join()} gets a front and links of its own like any other.
 *
 * <p>An earlier layout gave each node its own view (its own real port, a proxy per other node). A
 * node that installed a leader's snapshot took that leader's view: it then dialled the leader
 * directly and the others through the leader's proxies, so isolating the leader cut the wrong links
 * and left an asymmetric partition in which no election could succeed.
 */
public final class KvCluster implements AutoCloseable {

  /**
   * How a cluster is started. A heartbeat interval and election timeout of 0 leave the server's
   * defaults in force.
   */
  public record Options(
      String name,
      int nodes,
      long heartbeatIntervalMs,
      long electionTimeoutMs,
      String logLevel,
      Duration readyTimeout,
      ServerFlavor flavor,
      Path restoreFrom,
      List<String> serverArgs) {
    public Options {
      serverArgs = List.copyOf(serverArgs);
    }
  }

  public static final Duration STATUS_DEADLINE = Duration.ofSeconds(2);
  public static final Duration ELECTION_TIMEOUT_BOUND = Duration.ofSeconds(30);
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final int MAX_NODES = 9;
  private static final Set<KvCluster> open = new HashSet<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(KvCluster::killAllOpen, "kvcluster-shutdown-hook"));
  }

  private final Options options;
  private final Path dir;

  /** Grows while writer threads read it ({@link #join()}), hence copy-on-write. */
  private final List<KvNode> nodes = new CopyOnWriteArrayList<>();

  private final Map<String, LinkProxy> proxies = new LinkedHashMap<>();

  /** Node i's front, by index; empty for a flavor without link faults. */
  private final List<NodeFront> fronts = new CopyOnWriteArrayList<>();

  /**
   * Indices of the nodes started with {@link #join()}; the first {@code options.nodes()} are not.
   */
  private final Set<Integer> joined = new CopyOnWriteArraySet<>();

  private boolean keepFiles;
  private boolean closed;

  private KvCluster(Options options, Path dir) {
    this.options = options;
    this.dir = dir;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Where cluster directories go: {@code -Dballot.it.workDir}, else target/it. */
  static Path workRoot() {
    return Path.of(System.getProperty("ballot.it.workDir", "target/it")).toAbsolutePath();
  }

  private static KvCluster launch(Options options) {
    if (options.nodes() < 1 || options.nodes() > MAX_NODES) {
      throw new IllegalArgumentException("nodes=" + options.nodes() + ", want 1.." + MAX_NODES);
    }
    Path dir = workRoot().resolve(options.name());
    deleteRecursively(dir);
    KvCluster cluster = new KvCluster(options, dir);
    synchronized (KvCluster.class) {
      open.add(cluster);
    }
    try {
      cluster.createNodes();
      cluster.nodes.forEach(KvNode::start);
      cluster.awaitReady(options.readyTimeout());
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.keepFiles = true;
      String logs = cluster.describeWithLogs(40);
      cluster.close();
      throw new IllegalStateException(
          "cluster " + options.name() + " did not start: " + firstLine(e) + "\n" + logs, e);
    }
  }

  private void createNodes() {
    int n = options.nodes();
    boolean http = options.flavor().servesHttp();
    List<Integer> ports = FreePorts.take((http ? 3 : 2) * n);
    List<Integer> clientPorts = ports.subList(0, n);
    List<Integer> peerPorts = ports.subList(n, 2 * n);
    List<Integer> httpPorts = http ? ports.subList(2 * n, 3 * n) : List.of();
    if (options.flavor().supportsLinkFaults()) {
      for (int i = 0; i < n; i++) {
        addFront(i, peerPorts.get(i));
      }
    }
    for (int i = 0; i < n; i++) {
      List<String> initialCluster = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        initialCluster.add(fronts.isEmpty() ? "127.0.0.1:" + peerPorts.get(j) : frontAddress(j));
      }
      Path dataDir = dir.resolve("node" + i);
      int httpPort = http ? httpPorts.get(i) : 0;
      ServerFlavor.NodeLaunch launch =
          new ServerFlavor.NodeLaunch(
              i,
              clientPorts.get(i),
              peerPorts.get(i),
              httpPort,
              dataDir,
              initialCluster,
              peerPorts,
              advertisedFront(i),
              sourceAddress(i),
              options);
      nodes.add(
          new KvNode(
              i,
              clientPorts.get(i),
              peerPorts.get(i),
              httpPort,
              dataDir,
              dir.resolve("node" + i + ".log"),
              options.flavor().command(launch),
              options.restoreFrom() == null
                  ? List.of()
                  : List.of("--restore-from", options.restoreFrom().toString())));
    }
  }

  public Options options() {
    return options;
  }

  // ---- membership ----------------------------------------------------------------------------

  /**
   * Starts one more node, with a new data directory and free ports, that joins the running cluster
   * as a learner, waits until it answers Status with a leader, and returns its index (the next
   * one). kvserver: {@code --join} with the peer addresses of the nodes running now; it registers,
   * gets the next node id, and the leader promotes it when it is close enough. etcd: a MemberAdd
   * (learner) asked of the leader, then {@code --initial-cluster-state=existing} with the member
   * list it answers; etcd never promotes by itself. See {@link ServerFlavor#joinsByRegistration()}.
   */
  public int join() {
    int index = nodes.size();
    if (index >= MAX_NODES) {
      throw new IllegalStateException("cluster has " + index + " nodes, at most " + MAX_NODES);
    }
    boolean http = flavor().servesHttp();
    List<Integer> ports = FreePorts.take(http ? 3 : 2);
    int clientPort = ports.get(0);
    int peerPort = ports.get(1);
    int httpPort = http ? ports.get(2) : 0;
    if (!fronts.isEmpty()) {
      addFront(index, peerPort);
    }
    List<String> members =
        flavor().joinsByRegistration()
            ? runningPeerAddresses()
            : Members.addEtcdLearner(
                this, awaitLeader(), "node" + index, "http://127.0.0.1:" + peerPort);
    Path dataDir = dir.resolve("node" + index);
    ServerFlavor.NodeLaunch launch =
        new ServerFlavor.NodeLaunch(
            index,
            clientPort,
            peerPort,
            httpPort,
            dataDir,
            members,
            List.of(),
            advertisedFront(index),
            sourceAddress(index),
            options);
    KvNode node =
        new KvNode(
            index,
            clientPort,
            peerPort,
            httpPort,
            dataDir,
            dir.resolve("node" + index + ".log"),
            flavor().joinCommand(launch),
            List.of());
    nodes.add(node);
    joined.add(index);
    node.start();
    await("node " + index + " to join and report a leader in " + describe())
        .atMost(JOIN_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              failOnUnexpectedExit();
              return tryStatus(index).map(s -> s.getLeader() != 0).orElse(false);
            });
    return index;
  }

  private List<String> runningPeerAddresses() {
    List<String> addresses =
        nodes.stream().filter(KvNode::isRunning).map(n -> peerAddress(n.index())).toList();
    if (addresses.isEmpty()) {
      throw new IllegalStateException("no running node to join: " + describe());
    }
    return addresses;
  }

  /** Whether node i was added by {@link #join()}. */
  public boolean isJoined(int i) {
    node(i);
    return joined.contains(i);
  }

  /** The members node i lists (etcd's Cluster.MemberList, answered from its committed state). */
  public List<Member> memberList(int i) {
    return clusterApi(i)
        .withDeadlineAfter(STATUS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .memberList(MemberListRequest.getDefaultInstance())
        .getMembersList();
  }

  /** The index of the serving node whose Status reports member id {@code memberId}. */
  public int indexOfMember(long memberId) {
    for (int i : servingNodes()) {
      if (tryStatus(i).map(s -> s.getHeader().getMemberId() == memberId).orElse(false)) {
        return i;
      }
    }
    throw new IllegalStateException("no serving node is member " + memberId + ": " + describe());
  }

  /**
   * Node i may stop by itself from now on (it is about to be removed), without failing the waits
   * that watch for unexpected exits; {@link #awaitOwnExit} returns its exit code.
   */
  public void expectOwnExit(int i) {
    node(i).expectOwnExit();
  }

  public int size() {
    return nodes.size();
  }

  public Path dir() {
    return dir;
  }

  public ServerFlavor flavor() {
    return options.flavor();
  }

  // ---- addresses and stubs -------------------------------------------------------------------

  /** {@code 127.0.0.1:port} of node i's client API. */
  public String clientAddress(int i) {
    return node(i).clientAddress();
  }

  /**
   * {@code 127.0.0.1:port} of node i's peer API as the member list shows it (without http://): its
   * front where links can be cut, else its peer port.
   */
  public String peerAddress(int i) {
    return fronts.isEmpty() ? "127.0.0.1:" + node(i).peerPort() : frontAddress(i);
  }

  private String frontAddress(int i) {
    return fronts.get(i).address();
  }

  /** Node i's {@code --advertise-peer-addr}: its front, or null without fronts. */
  private String advertisedFront(int i) {
    return fronts.isEmpty() ? null : frontAddress(i);
  }

  /** Node i's {@code --peer-source-addr}, or null without fronts. */
  private String sourceAddress(int i) {
    return fronts.isEmpty() ? null : NodeFront.sourceOf(i).getHostAddress();
  }

  /**
   * Node {@code index}'s front on its peer port, and the links between it and every node before it,
   * both ways.
   */
  private void addFront(int index, int peerPort) {
    try {
      NodeFront front = NodeFront.start("n" + index, new InetSocketAddress("127.0.0.1", peerPort));
      fronts.add(front);
      for (int other = 0; other < index; other++) {
        proxies.put(
            linkKey(other, index),
            LinkProxy.behind(front, NodeFront.sourceOf(other), "n" + other + "-n" + index));
        proxies.put(
            linkKey(index, other),
            LinkProxy.behind(
                fronts.get(other), NodeFront.sourceOf(index), "n" + index + "-n" + other));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code 127.0.0.1:port} of node i's HTTP port ({@code --http-addr}: the dashboard at /,
   * /v1/...). kvserver only; etcd nodes are started without one.
   */
  public String httpAddress(int i) {
    if (!flavor().servesHttp()) {
      throw new UnsupportedOperationException(flavor() + " nodes get no Ballot HTTP port");
    }
    return "127.0.0.1:" + node(i).httpPort();
  }

  /** {@code http://127.0.0.1:port} of every node, as jetcd and etcdctl take them. */
  public List<String> clientEndpoints() {
    return nodes.stream().map(n -> "http://" + n.clientAddress()).toList();
  }

  public String clientEndpointsCsv() {
    return String.join(",", clientEndpoints());
  }

  public ManagedChannel channel(int i) {
    return node(i).channel();
  }

  public KVGrpc.KVBlockingStub kv(int i) {
    return KVGrpc.newBlockingStub(channel(i));
  }

  public MaintenanceGrpc.MaintenanceBlockingStub maintenance(int i) {
    return MaintenanceGrpc.newBlockingStub(channel(i));
  }

  public ClusterGrpc.ClusterBlockingStub clusterApi(int i) {
    return ClusterGrpc.newBlockingStub(channel(i));
  }

  public Path logFile(int i) {
    return node(i).logFile();
  }

  public Path dataDir(int i) {
    return node(i).dataDir();
  }

  public long pid(int i) {
    return node(i).pid();
  }

  // ---- process faults ------------------------------------------------------------------------

  public boolean isRunning(int i) {
    return node(i).isRunning();
  }

  /** Indices of nodes that run and are not paused. */
  public List<Integer> servingNodes() {
    return IntStream.range(0, size()).filter(i -> node(i).isServing()).boxed().toList();
  }

  public void kill9(int i) {
    node(i).kill9();
  }

  public void kill9All() {
    nodes.forEach(KvNode::kill9);
  }

  /** SIGTERM; SIGKILL after a grace period. Returns the exit code. */
  public int stop(int i) {
    return node(i).stop(STOP_GRACE);
  }

  public void pause(int i) {
    node(i).pause();
  }

  public void resume(int i) {
    node(i).resume();
  }

  /** Starts node i again with the same data directory and flags; stops it first if it runs. */
  public void restart(int i) {
    KvNode node = node(i);
    if (node.isRunning()) {
      node.stop(STOP_GRACE);
    }
    node.start();
  }

  /**
   * Starts node i again with the same data directory and flags but its peer port moved to {@code
   * peerPort} ({@code --peer-addr 127.0.0.1:peerPort}); stops it first if it runs. kvserver only.
   * The members reach it there once its address was updated (Cluster.MemberUpdate).
   */
  public void restartOnPeerPort(int i, int peerPort) {
    if (flavor() != ServerFlavor.KVSERVER) {
      throw new UnsupportedOperationException(flavor() + " nodes are not moved by this harness");
    }
    KvNode old = node(i);
    if (old.isRunning()) {
      old.stop(STOP_GRACE);
    }
    old.closeChannel();
    List<String> command = new ArrayList<>(old.command());
    int flag = command.indexOf("--peer-addr");
    command.set(flag + 1, "127.0.0.1:" + peerPort);
    KvNode moved =
        new KvNode(
            i,
            old.clientPort(),
            peerPort,
            old.httpPort(),
            old.dataDir(),
            old.logFile(),
            command,
            List.of());
    nodes.set(i, moved);
    moved.start();
  }

  /**
   * Starts node i again, stopping it first if it runs, with {@code jvmArgs} on its java command
   * line for this start only (e.g. {@code -Dballot.crashpoint=NAME}); a later {@link #restart(int)}
   * goes without them. kvserver only.
   */
  public void restartWithJvmArgs(int i, String... jvmArgs) {
    if (flavor() != ServerFlavor.KVSERVER) {
      throw new UnsupportedOperationException(flavor() + " nodes take no JVM arguments");
    }
    KvNode node = node(i);
    if (node.isRunning()) {
      node.stop(STOP_GRACE);
    }
    node.start(List.of(jvmArgs));
  }

  /**
   * Waits until node i's process ends by itself (not killed by the harness) and returns its exit
   * code; fails if it still runs after {@code timeout}. The node is then down as if stopped.
   */
  public int awaitOwnExit(int i, Duration timeout) {
    try {
      Integer code = node(i).awaitOwnExit(timeout);
      if (code == null) {
        throw new AssertionError(
            "node " + i + " still runs after " + timeout + "\n" + node(i).logTail(40));
      }
      return code;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for node " + i, e);
    }
  }

  // ---- network faults ------------------------------------------------------------------------

  public boolean supportsLinkFaults() {
    return flavor().supportsLinkFaults();
  }

  /** Cuts node i from every other node, both directions. Its client port stays reachable. */
  public void isolate(int i) {
    partition(i);
  }

  /** Cuts node i from every other node, both directions, in the given manner. */
  public void isolate(int i, LinkProxy.CutMode mode) {
    cut(mode, i);
  }

  /** Cuts every link between {@code side} and the other nodes. */
  public void partition(int... side) {
    cut(LinkProxy.CutMode.RESET, side);
  }

  private void cut(LinkProxy.CutMode mode, int... side) {
    Set<Integer> inside = new HashSet<>();
    for (int i : side) {
      node(i);
      inside.add(i);
    }
    for (int from = 0; from < nodes.size(); from++) {
      for (int to = 0; to < nodes.size(); to++) {
        if (from != to && inside.contains(from) != inside.contains(to)) {
          proxy(from, to).cut(mode);
        }
      }
    }
  }

  /** The proxy carrying node {@code from}'s connections to node {@code to}. */
  public LinkProxy proxy(int from, int to) {
    node(from);
    node(to);
    LinkProxy proxy = proxies.get(linkKey(from, to));
    if (proxy == null) {
      throw new UnsupportedOperationException(
          flavor() + " cannot be given per-link proxies; link faults need kvserver");
    }
    return proxy;
  }

  /** Joins every cut link again and removes added delays. */
  public void heal() {
    for (LinkProxy proxy : proxies.values()) {
      proxy.setDelayMs(0);
      if (proxy.isCut()) {
        proxy.heal();
      }
    }
  }

  // ---- status --------------------------------------------------------------------------------

  public StatusResponse status(int i) {
    return maintenance(i)
        .withDeadlineAfter(STATUS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .status(StatusRequest.getDefaultInstance());
  }

  /** Node i's status, or empty if it does not answer in time. */
  public Optional<StatusResponse> tryStatus(int i) {
    if (!node(i).isServing()) {
      return Optional.empty();
    }
    try {
      return Optional.of(status(i));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The serving node that calls itself leader in the highest term, if any. A cut-off old leader may
   * still call itself leader in an older term until it notices.
   */
  public OptionalInt leaderIndex() {
    failOnUnexpectedExit();
    int best = -1;
    long bestTerm = -1;
    for (int i = 0; i < size(); i++) {
      Optional<StatusResponse> status = tryStatus(i);
      if (status.isPresent()) {
        StatusResponse s = status.get();
        boolean leads = s.getLeader() != 0 && s.getLeader() == s.getHeader().getMemberId();
        if (leads && s.getRaftTerm() > bestTerm) {
          best = i;
          bestTerm = s.getRaftTerm();
        }
      }
    }
    return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
  }

  /** Waits until some serving node leads, and returns it. */
  public int awaitLeader() {
    return awaitLeader(Set.of());
  }

  /** Waits until a serving node not in {@code excluded} leads, and returns it. */
  public int awaitLeader(Set<Integer> excluded) {
    int[] leader = {-1};
    await("a leader other than " + excluded + " in " + describe())
        .atMost(ELECTION_TIMEOUT_BOUND)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              OptionalInt found = leaderIndex();
              leader[0] = found.orElse(-1);
              return found.isPresent() && !excluded.contains(found.getAsInt());
            });
    return leader[0];
  }

  /** Waits until every serving node reports a leader. */
  public void awaitReady() {
    awaitReady(options.readyTimeout());
  }

  private void awaitReady(Duration timeout) {
    await("every serving node to report a leader in " + describe())
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              failOnUnexpectedExit();
              List<Integer> serving = servingNodes();
              return !serving.isEmpty()
                  && serving.stream()
                      .allMatch(i -> tryStatus(i).map(s -> s.getLeader() != 0).orElse(false));
            });
  }

  /** Node i's member id, as its Status header reports it. */
  public long memberId(int i) {
    return status(i).getHeader().getMemberId();
  }

  /** Throws with the node's log tail when a node exited without being told to. */
  public void failOnUnexpectedExit() {
    for (KvNode node : nodes) {
      if (node.exitedUnexpectedly()) {
        throw new IllegalStateException(
            "node "
                + node.index()
                + " exited unexpectedly with code "
                + node.exitCode()
                + "\n--- "
                + node.logFile()
                + " (tail) ---\n"
                + node.logTail(60));
      }
    }
  }

  // ---- diagnostics ---------------------------------------------------------------------------

  public String describe() {
    return nodes.stream().map(KvNode::describe).collect(Collectors.joining("; ", "[", "]"));
  }

  public String describeWithLogs(int linesPerNode) {
    StringBuilder out = new StringBuilder("cluster " + options.name() + " in " + dir + "\n");
    for (KvNode node : nodes) {
      out.append("--- ").append(node.describe()).append('\n');
      out.append(node.logTail(linesPerNode)).append('\n');
    }
    return out.toString();
  }

  public void printLogs(PrintStream out, int linesPerNode) {
    out.println(describeWithLogs(linesPerNode));
  }

  /** Keeps data directories after close, for a failed test to be looked into. */
  public void keepFiles() {
    keepFiles = true;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    Teardown teardown = new Teardown();
    for (KvNode node : nodes) {
      teardown.run(node::kill9);
      node.closeChannel();
    }
    // Every link is behind a front, which closes it.
    for (NodeFront front : fronts) {
      teardown.run(front::close);
    }
    if (!keepFiles) {
      nodes.forEach(node -> deleteRecursively(node.dataDir()));
    }
    synchronized (KvCluster.class) {
      open.remove(this);
    }
    teardown.finish();
  }

  private KvNode node(int i) {
    if (i < 0 || i >= nodes.size()) {
      throw new IllegalArgumentException("node " + i + ", cluster has " + nodes.size());
    }
    return nodes.get(i);
  }

  private static String firstLine(Throwable e) {
    String message = String.valueOf(e.getMessage()).strip();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static String linkKey(int from, int to) {
    return from + "->" + to;
  }

  private static synchronized void killAllOpen() {
    for (KvCluster cluster : List.copyOf(open)) {
      for (KvNode node : cluster.nodes) {
        try {
          node.kill9();
        } catch (RuntimeException e) {
          // The JVM is going away; the next node still has to go.
        }
      }
    }
  }

  static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + path, e);
    }
  }

  /** Options with defaults for fast elections: heartbeat 50 ms, election timeout 500 ms. */
  public static final class Builder {
    private final String name;
    private int nodes = 3;
    private long heartbeatIntervalMs = 50;
    private long electionTimeoutMs = 500;
    private String logLevel = "INFO";
    private Duration readyTimeout = Duration.ofSeconds(60);
    private ServerFlavor flavor = ServerFlavor.fromSystemProperty();
    private Path restoreFrom;
    private final List<String> serverArgs = new ArrayList<>();

    private Builder(String name) {
      this.name = name;
    }

    public Builder nodes(int nodes) {
      this.nodes = nodes;
      return this;
    }

    public Builder heartbeatIntervalMs(long heartbeatIntervalMs) {
      this.heartbeatIntervalMs = heartbeatIntervalMs;
      return this;
    }

    public Builder electionTimeoutMs(long electionTimeoutMs) {
      this.electionTimeoutMs = electionTimeoutMs;
      return this;
    }

    /** Starts the servers with their own default heartbeat and election timeout. */
    public Builder serverDefaultTimeouts() {
      this.heartbeatIntervalMs = 0;
      this.electionTimeoutMs = 0;
      return this;
    }

    /**
     * Timeouts from a test property: {@code server} (the server's defaults), {@code HB/ET} in
     * milliseconds (e.g. {@code 50/500}), or empty to keep these options' own.
     */
    public Builder timeouts(String spec) {
      String s = spec.trim();
      if (s.equals("server")) {
        return serverDefaultTimeouts();
      }
      if (!s.isEmpty()) {
        String[] ms = s.split("/");
        if (ms.length != 2) {
          throw new IllegalArgumentException("timeouts must be server or HB/ET, got " + spec);
        }
        heartbeatIntervalMs(Long.parseLong(ms[0].trim()));
        electionTimeoutMs(Long.parseLong(ms[1].trim()));
      }
      return this;
    }

    public Builder logLevel(String logLevel) {
      this.logLevel = logLevel;
      return this;
    }

    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = readyTimeout;
      return this;
    }

    public Builder flavor(ServerFlavor flavor) {
      this.flavor = flavor;
      return this;
    }

    /** Seeds every node from this backup file on its first start (kvserver --restore-from). */
    public Builder restoreFrom(Path backup) {
      this.restoreFrom = backup;
      return this;
    }

    /** Extra kvserver flags for every node, e.g. {@code "--snapshot-count", "100"}. */
    public Builder serverArgs(String... args) {
      serverArgs.addAll(List.of(args));
      return this;
    }

    Options options() {
      return new Options(
          name,
          nodes,
          heartbeatIntervalMs,
          electionTimeoutMs,
          logLevel,
          readyTimeout,
          flavor,
          restoreFrom,
          serverArgs);
    }

    /** Starts the processes and waits until each reports a leader. */
    public KvCluster start() {
      return launch(options());
    }
  }
}
