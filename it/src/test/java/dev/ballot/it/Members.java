package dev.ballot.it;

import static org.awaitility.Awaitility.await;

import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberPromoteResponse;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.MemberAddResponse;
import io.etcd.jetcd.api.MemberRemoveRequest;
import io.etcd.jetcd.api.MemberRemoveResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Membership helpers for the process tests: member lists as id to learner flag, removals, etcd's
 * MemberAdd.
 */
final class Members {
  /** How long a membership change may take to reach every node. */
  static final Duration CONVERGE_BOUND = Duration.ofSeconds(30);

  /** How long a removed node may take to notice and stop by itself. */
  static final Duration OWN_EXIT_BOUND = Duration.ofSeconds(30);

  /** A removal may wait out a leadership transfer and a few election timeouts on the server. */
  static final Duration CHANGE_DEADLINE = Duration.ofSeconds(20);

  static final String REMOVED_LOG_LINE = "this node was removed from the cluster";

  private Members() {}

  /** Everything node i has logged, over all its starts. */
  static String log(KvCluster cluster, int node) {
    try {
      return Files.readString(cluster.logFile(node), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Member id to "is a learner", in id order. */
  static Map<Long, Boolean> learnerFlags(List<Member> members) {
    return members.stream()
        .collect(Collectors.toMap(Member::getID, Member::getIsLearner, (a, b) -> a, TreeMap::new));
  }

  /** The same map with every id a voter. */
  static Map<Long, Boolean> voters(List<Long> ids) {
    return ids.stream().collect(Collectors.toMap(id -> id, id -> false, (a, b) -> a, TreeMap::new));
  }

  /** Waits until every node in {@code nodes} lists exactly {@code expected} (id to learner). */
  static void awaitMemberListOnEveryNode(
      KvCluster cluster, List<Integer> nodes, Map<Long, Boolean> expected) {
    for (int node : nodes) {
      await("member list of node " + node + " to be " + expected + " (id=isLearner)")
          .atMost(CONVERGE_BOUND)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> learnerFlags(cluster.memberList(node)).equals(expected));
    }
  }

  /** Etcd's MemberRemove of {@code memberId}, asked of node {@code via}. */
  static MemberRemoveResponse remove(KvCluster cluster, int via, long memberId) {
    return cluster
        .clusterApi(via)
        .withDeadlineAfter(CHANGE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .memberRemove(MemberRemoveRequest.newBuilder().setID(memberId).build());
  }

  /** Etcd's MemberPromote of {@code memberId}, asked of {@code via}. */
  static MemberPromoteResponse promote(KvCluster cluster, int via, long memberId) {
    return ClusterGrpc.newBlockingStub(cluster.channel(via))
        .withDeadlineAfter(CHANGE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .memberPromote(MemberPromoteRequest.newBuilder().setID(memberId).build());
  }

  /**
   * etcd's way to add a node: MemberAdd of {@code peerUrl} as a learner, asked of node {@code via}.
   * Returns the new node's {@code --initial-cluster} (name=peerURL, the new one named {@code
   * name}). etcd refuses ("unhealthy cluster") until its members have been connected for 5 s.
   */
  static List<String> addEtcdLearner(KvCluster cluster, int via, String name, String peerUrl) {
    MemberAddRequest request =
        MemberAddRequest.newBuilder().addPeerURLs(peerUrl).setIsLearner(true).build();
    MemberAddResponse[] answer = {null};
    await("etcd to accept a learner at " + peerUrl)
        .atMost(CONVERGE_BOUND)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptionsMatching(
            e -> String.valueOf(e.getMessage()).contains("etcdserver: unhealthy cluster"))
        .until(
            () -> {
              answer[0] =
                  cluster
                      .clusterApi(via)
                      .withDeadlineAfter(Etcd.REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                      .memberAdd(request);
              return true;
            });
    List<String> members = new ArrayList<>();
    for (Member member : answer[0].getMembersList()) {
      String memberName = member.getID() == answer[0].getMember().getID() ? name : member.getName();
      for (String url : member.getPeerURLsList()) {
        members.add(memberName + "=" + url);
      }
    }
    return members;
  }

  /** Node indices that run, but for {@code excluded}. */
  static List<Integer> runningExcept(KvCluster cluster, List<Integer> excluded) {
    return cluster.servingNodes().stream().filter(i -> !excluded.contains(i)).toList();
  }

  /** Member ids of the given nodes, ascending. */
  static List<Long> ids(KvCluster cluster, List<Integer> nodes) {
    return nodes.stream().map(cluster::memberId).sorted().toList();
  }
}
