package dev.ballot.membership;

import dev.ballot.flags.HostPort;
import dev.ballot.proto.raft.v1.DiscoverRequest;
import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.transport.PeerChannels;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bootstrap of a new cluster without node ids on any command line. Every node draws a random
 * temporary id and asks every address of {@code --initial-cluster} (its own included) for theirs.
 * Once all have answered, each node computes the same mapping: temporary ids sorted ascending give
 * node ids 1..N, and the cluster id is a hash of the sorted set. The address that answers with this
 * node's own temporary id is this node.
 */
public final class Discovery {
  private static final Logger log = LoggerFactory.getLogger(Discovery.class);
  private static final long CALL_TIMEOUT_MS = 1_000;
  private static final long RETRY_INTERVAL_MS = 200;
  private static final long PROGRESS_LOG_INTERVAL_MS = 5_000;

  /**
   * How long a node that found a peer starting from other data keeps answering before it gives up,
   * so that every other node gets its answer and refuses too, instead of waiting for it forever.
   */
  private static final long REFUSAL_LINGER_MS = 3_000;

  private final PeerChannels peerChannels;
  private final long tempId;
  private final String peerAddr;
  private final String clientAddr;
  private final List<String> initialCluster;
  private final String dataFingerprint;
  private final String name;

  /**
   * @param dataFingerprint what this node's data starts from: "" for nothing, else the restored
   *     backup's fingerprint; every node must start from the same
   */
  public Discovery(
      PeerChannels peerChannels,
      long tempId,
      String peerAddr,
      String clientAddr,
      List<String> initialCluster,
      String dataFingerprint,
      String name) {
    if (tempId == 0) {
      throw new IllegalArgumentException("temporary id must not be 0");
    }
    this.peerChannels = peerChannels;
    this.tempId = tempId;
    this.peerAddr = peerAddr;
    this.clientAddr = clientAddr;
    this.initialCluster = List.copyOf(initialCluster);
    this.dataFingerprint = dataFingerprint;
    this.name = name;
  }

  /** Asks every address until all have answered, then assigns the identity. Blocks. */
  public Identity run() throws InterruptedException {
    Map<String, DiscoverResponse> answers = new LinkedHashMap<>();
    Map<String, ManagedChannel> channels = new LinkedHashMap<>();
    DiscoverRequest request =
        DiscoverRequest.newBuilder()
            .setTempId(tempId)
            .setPeerAddr(peerAddr)
            .setClientAddr(clientAddr)
            .setDataFingerprint(dataFingerprint)
            .setName(name)
            .build();
    long lastProgressLog = System.nanoTime();
    try {
      for (String address : initialCluster) {
        channels.put(address, peerChannels.shortLived(address));
      }
      while (answers.size() < initialCluster.size()) {
        for (String address : initialCluster) {
          if (answers.containsKey(address)) {
            continue;
          }
          try {
            DiscoverResponse answer =
                RaftPeerGrpc.newBlockingStub(channels.get(address))
                    .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .discover(request);
            answers.put(address, answer);
            log.info(
                "discovered peer addr={} tempId={} clientAddr={}",
                address,
                Long.toHexString(answer.getTempId()),
                answer.getClientAddr());
            DiscoveryException refusal = dataMismatch(address, answer, dataFingerprint);
            if (refusal != null) {
              log.error("{}; refusing in {} ms", refusal.getMessage(), REFUSAL_LINGER_MS);
              Thread.sleep(REFUSAL_LINGER_MS);
              throw refusal;
            }
          } catch (StatusRuntimeException e) {
            log.debug("discovery retry addr={} status={}", address, e.getStatus());
          }
        }
        if (answers.size() < initialCluster.size()) {
          if (System.nanoTime() - lastProgressLog
              > TimeUnit.MILLISECONDS.toNanos(PROGRESS_LOG_INTERVAL_MS)) {
            lastProgressLog = System.nanoTime();
            List<String> missing = new ArrayList<>(initialCluster);
            missing.removeAll(answers.keySet());
            log.info("discovery waiting for peers missing={}", missing);
          }
          Thread.sleep(RETRY_INTERVAL_MS);
        }
      }
    } finally {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
    return assign(tempId, dataFingerprint, answers);
  }

  /**
   * The deterministic part: the same answers give every node the same ids and cluster id.
   *
   * @throws DiscoveryException if the answers cannot form a new cluster with this node in it
   */
  public static Identity assign(
      long tempId, String dataFingerprint, Map<String, DiscoverResponse> answers) {
    TreeMap<Long, String> addressByTempId = new TreeMap<>(Long::compareUnsigned);
    for (Map.Entry<String, DiscoverResponse> e : answers.entrySet()) {
      String previous = addressByTempId.put(e.getValue().getTempId(), e.getKey());
      if (previous != null) {
        throw new DiscoveryException(
            "addresses "
                + previous
                + " and "
                + e.getKey()
                + " reach the same node; list every member once in --initial-cluster");
      }
    }
    if (!addressByTempId.containsKey(tempId)) {
      throw new DiscoveryException(
          "none of the --initial-cluster addresses "
              + answers.keySet()
              + " reaches this node; include this node's own peer address");
    }
    long clusterId = clusterId(addressByTempId.keySet());
    for (Map.Entry<String, DiscoverResponse> e : answers.entrySet()) {
      long theirs = e.getValue().getClusterId();
      if (theirs != 0 && theirs != clusterId) {
        throw new DiscoveryException(
            "peer "
                + e.getKey()
                + " already belongs to cluster "
                + Long.toHexString(theirs)
                + ", not to the one these addresses form ("
                + Long.toHexString(clusterId)
                + "); a new node cannot bootstrap with it");
      }
    }
    for (Map.Entry<String, DiscoverResponse> e : answers.entrySet()) {
      DiscoveryException refusal = dataMismatch(e.getKey(), e.getValue(), dataFingerprint);
      if (refusal != null) {
        throw refusal;
      }
    }
    List<Membership.Member> members = new ArrayList<>();
    long nodeId = 0;
    long next = 1;
    for (Map.Entry<Long, String> e : addressByTempId.entrySet()) {
      long id = next++;
      DiscoverResponse answer = answers.get(e.getValue());
      if (!Membership.isValidName(answer.getName())) {
        throw new DiscoveryException(
            "peer " + e.getValue() + " answered with a bad member name: " + answer.getName());
      }
      members.add(
          new Membership.Member(
              id,
              memberPeerAddr(e.getValue(), answer.getPeerAddr()),
              answer.getClientAddr(),
              false,
              e.getKey(),
              answer.getName()));
      if (e.getKey() == tempId) {
        nodeId = id;
      }
    }
    return new Identity(nodeId, clusterId, tempId, new Membership(members, members.size()), false);
  }

  /**
   * Where every node records a member. At the peer address it advertises if that is the endpoint
   * dialled spelled another way (a host name here, its IP address there): the advertised spelling
   * is the same in every node's answer, so nodes whose {@code --initial-cluster} spell a member
   * differently still start from one member list. Otherwise at the address dialled, as before: when
   * the member advertises none or a wildcard (a {@code 0.0.0.0} or {@code [::]} bind without {@code
   * --advertise-peer-addr}), which no peer could dial, and when it advertises another endpoint (NAT
   * or a proxy without {@code --advertise-peer-addr}); then nodes that dial it differently may list
   * it differently, and the node logs a warning saying how to fix it. Refusing that case instead
   * would be one-sided: the other nodes, which see no mismatch, would form the cluster with the
   * refusing node as a member that never runs.
   */
  static String memberPeerAddr(String dialled, String advertised) {
    if (advertised.isEmpty() || advertised.equals(dialled)) {
      return dialled;
    }
    HostPort theirs;
    try {
      theirs = HostPort.parse(advertised);
    } catch (IllegalArgumentException e) {
      log.warn(
          "peer advertises a peer address that is not host:port addr={} advertised={}",
          dialled,
          advertised);
      return dialled;
    }
    InetAddress[] theirAddresses = resolve(theirs.host());
    if (theirAddresses.length == 1 && theirAddresses[0].isAnyLocalAddress()) {
      return dialled; // a wildcard
    }
    if (sameEndpoint(HostPort.parse(dialled), theirs, theirAddresses)) {
      return advertised;
    }
    log.warn(
        "peer advertises another peer address than the one in --initial-cluster; recording the"
            + " address dialled, which other nodes may list differently: list each member at the"
            + " address it advertises, or set its --advertise-peer-addr addr={} advertised={}",
        dialled,
        advertised);
    return dialled;
  }

  /** The same port, and the same host or host names that resolve to a common address. */
  private static boolean sameEndpoint(
      HostPort ours, HostPort theirs, InetAddress[] theirAddresses) {
    if (ours.port() != theirs.port()) {
      return false;
    }
    if (ours.host().equalsIgnoreCase(theirs.host())) {
      return true;
    }
    List<InetAddress> theirList = List.of(theirAddresses);
    for (InetAddress one : resolve(ours.host())) {
      if (theirList.contains(one)) {
        return true;
      }
    }
    return false;
  }

  /** A host's addresses (a literal IP parses without a lookup); none if it does not resolve. */
  private static InetAddress[] resolve(String host) {
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    try {
      return InetAddress.getAllByName(bare);
    } catch (UnknownHostException e) {
      return new InetAddress[0];
    }
  }

  /** Replicas that start from different data would diverge from the first entry on. */
  private static DiscoveryException dataMismatch(
      String address, DiscoverResponse answer, String dataFingerprint) {
    String theirs = answer.getDataFingerprint();
    if (answer.getClusterId() != 0 || theirs.equals(dataFingerprint)) {
      return null;
    }
    return new DiscoveryException(
        "peer "
            + address
            + " starts from "
            + describe(theirs)
            + " but this node starts from "
            + describe(dataFingerprint)
            + "; start every node of a new cluster from the same backup (--restore-from),"
            + " or every node empty");
  }

  private static String describe(String fingerprint) {
    return fingerprint.isEmpty() ? "an empty data directory" : "backup " + fingerprint;
  }

  /** A hash of the sorted temporary ids; never 0. */
  static long clusterId(Iterable<Long> sortedTempIds) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("ballot-cluster".getBytes(StandardCharsets.UTF_8));
      ByteBuffer buf = ByteBuffer.allocate(Long.BYTES);
      for (long id : sortedTempIds) {
        buf.clear();
        sha.update(buf.putLong(id).array());
      }
      long id = ByteBuffer.wrap(sha.digest()).getLong();
      return id == 0 ? 1 : id;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Discovery found a configuration that cannot become a cluster. */
  public static final class DiscoveryException extends RuntimeException {
    public DiscoveryException(String message) {
      super(message);
    }
  }
}
