package dev.ballot.it;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One more node started beside a running {@link KvCluster}, joining it as a learner: kvserver with
 * {@code --join} and the members' peer addresses (from the member list); etcd after a MemberAdd
 * with {@code isLearner}, with {@code --initial-cluster-state=existing}. It is not one of the
 * cluster's nodes: the test closes it.
 */
final class JoinedNode implements AutoCloseable {
  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(30);

  private final KvNode node;

  private JoinedNode(KvNode node) {
    this.node = node;
  }

  /**
   * Starts node number {@code index} (its files are {@code node<index>} in the cluster's directory)
   * and waits until it answers Status with a leader.
   */
  static JoinedNode start(KvCluster cluster, int index) {
    List<Integer> ports = FreePorts.take(2);
    int clientPort = ports.get(0);
    int peerPort = ports.get(1);
    int asked = cluster.awaitLeader();
    List<String> join =
        cluster.flavor() == ServerFlavor.ETCD
            ? addEtcdLearner(cluster, asked, index, "http://127.0.0.1:" + peerPort)
            : peerAddresses(cluster, asked);
    Path dataDir = cluster.dir().resolve("node" + index);
    ServerFlavor.NodeLaunch launch =
        new ServerFlavor.NodeLaunch(
            index, clientPort, peerPort, dataDir, join, List.of(), cluster.options());
    KvNode node =
        new KvNode(
            index,
            clientPort,
            peerPort,
            dataDir,
            cluster.dir().resolve("node" + index + ".log"),
            cluster.flavor().joinCommand(launch),
            List.of());
    node.start();
    JoinedNode joined = new JoinedNode(node);
    await("node " + index + " to join and report a leader")
        .atMost(JOIN_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .failFast("node " + index + " exited, see " + node.logFile(), () -> !node.isRunning())
        .until(() -> joined.status().getLeader() != 0);
    return joined;
  }

  /** The members' peer addresses, host:port, as kvserver --join takes them. */
  private static List<String> peerAddresses(KvCluster cluster, int asked) {
    List<String> addresses = new ArrayList<>();
    for (Member member :
        cluster
            .clusterApi(asked)
            .withDeadlineAfter(KvCluster.STATUS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .memberList(MemberListRequest.getDefaultInstance())
            .getMembersList()) {
      for (String url : member.getPeerURLsList()) {
        addresses.add(url.replaceFirst("^https?://", ""));
      }
    }
    return addresses;
  }

  /**
   * etcd's way: MemberAdd as learner first; the answer is the new node's --initial-cluster. etcd
   * refuses ("unhealthy cluster") until its members have been connected for 5 s.
   */
  private static List<String> addEtcdLearner(
      KvCluster cluster, int asked, int index, String peerUrl) {
    MemberAddRequest request =
        MemberAddRequest.newBuilder().addPeerURLs(peerUrl).setIsLearner(true).build();
    MemberAddResponse[] answer = {null};
    await("etcd to accept a learner")
        .atMost(JOIN_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptionsMatching(
            e -> String.valueOf(e.getMessage()).contains("etcdserver: unhealthy cluster"))
        .until(
            () -> {
              answer[0] =
                  cluster
                      .clusterApi(asked)
                      .withDeadlineAfter(Etcd.REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                      .memberAdd(request);
              return true;
            });
    MemberAddResponse added = answer[0];
    List<String> members = new ArrayList<>();
    for (Member member : added.getMembersList()) {
      String name = member.getID() == added.getMember().getID() ? "node" + index : member.getName();
      for (String url : member.getPeerURLsList()) {
        members.add(name + "=" + url);
      }
    }
    return members;
  }

  String clientAddress() {
    return node.clientAddress();
  }

  /** {@code 127.0.0.1:port} of its peer API, as the member list shows it (without http://). */
  String peerAddress() {
    return "127.0.0.1:" + node.peerPort();
  }

  StatusResponse status() {
    return MaintenanceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(KvCluster.STATUS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .status(StatusRequest.getDefaultInstance());
  }

  /** Its member id, as its Status header reports it. */
  long memberId() {
    return status().getHeader().getMemberId();
  }

  String logTail(int lines) {
    return node.logTail(lines);
  }

  /** SIGKILL; the files stay with the cluster's. */
  @Override
  public void close() {
    node.kill9();
    node.closeChannel();
  }
}
