package dev.ballot.it;

import static dev.ballot.it.Members.OWN_EXIT_BOUND;
import static dev.ballot.it.Members.REMOVED_LOG_LINE;
import static dev.ballot.it.Members.awaitMemberListOnEveryNode;
import static dev.ballot.it.Members.ids;
import static dev.ballot.it.Members.learnerFlags;
import static dev.ballot.it.Members.remove;
import static dev.ballot.it.Members.runningExcept;
import static dev.ballot.it.Members.voters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.api.MemberAddRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator does to the members of a running cluster through etcd's API, and what a removed
 * node does afterwards: it stops for good, restarted or cut off while it was removed, without
 * disturbing the others. One 5-node cluster for the class: each test removes at most one follower
 * and needs three members, so they run in any order. Ballot-only (etcd's removed members behave
 * differently, and etcdctl's MemberAdd works there).
 */
class MembershipAdminTest {
  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;

  @BeforeAll
  static void startCluster() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().joinsByRegistration(),
        "removed nodes that stop, MemberAdd refused for --join: Ballot's membership");
    Etcdctl.requireInstalled();
    cluster = clusters.start(5);
  }

  @Test
  void removedNodeRestartedWithItsOldDataExitsTwoAndTheClusterKeepsItsLeaderAndTerm() {
    int leader = cluster.awaitLeader();
    int victim = aFollower(leader);
    long victimId = cluster.memberId(victim);
    List<Integer> staying = runningExcept(cluster, List.of(victim));
    cluster.expectOwnExit(victim);

    remove(cluster, leader, victimId);

    assertThat(cluster.awaitOwnExit(victim, OWN_EXIT_BOUND)).as("exit code on removal").isZero();
    assertThat(Members.log(cluster, victim)).contains(REMOVED_LOG_LINE);
    awaitMemberListOnEveryNode(cluster, staying, voters(ids(cluster, staying)));
    StatusResponse before = cluster.status(leader);

    cluster.restart(victim);

    assertThat(cluster.awaitOwnExit(victim, OWN_EXIT_BOUND))
        .as("exit code on restart")
        .isEqualTo(2);
    assertThat(Members.log(cluster, victim))
        .contains("cannot start: node " + victimId + " was removed from cluster ");
    assertLeaderAndTermUnchanged(before, staying);
    assertThat(learnerFlags(cluster.memberList(leader)).keySet()).doesNotContain(victimId);
    Etcd.put(cluster.kv(leader), "after-restart-of-" + victimId, "ok");
  }

  @Test
  void nodeRemovedWhileCutOffStopsItselfOnceHealedWithoutDisturbingTheCluster() {
    int leader = cluster.awaitLeader();
    int victim = aFollower(leader);
    long victimId = cluster.memberId(victim);
    List<Integer> staying = runningExcept(cluster, List.of(victim));
    cluster.isolate(victim);
    cluster.expectOwnExit(victim);
    StatusResponse before;
    try {
      remove(cluster, leader, victimId);
      awaitMemberListOnEveryNode(cluster, staying, voters(ids(cluster, staying)));

      assertThat(cluster.isRunning(victim))
          .as("the cut-off node cannot have heard of its removal yet")
          .isTrue();
      before = cluster.status(leader);
    } finally {
      cluster.heal(); // the other tests share the cluster
    }

    assertThat(cluster.awaitOwnExit(victim, OWN_EXIT_BOUND)).as("exit code").isZero();
    assertThat(Members.log(cluster, victim)).contains(REMOVED_LOG_LINE);
    assertLeaderAndTermUnchanged(before, staying);
    Etcd.put(cluster.kv(leader), "after-heal-of-" + victimId, "ok");
  }

  @Test
  void moveLeaderHandsOverAndMemberAddAndPromotingAVoterAreRefused() {
    int leader = cluster.awaitLeader();
    int target = aFollower(leader);
    long leaderId = cluster.memberId(leader);
    long targetId = cluster.memberId(target);
    List<Integer> running = runningExcept(cluster, List.of());
    Map<Long, Boolean> members = learnerFlags(cluster.memberList(leader));
    Etcdctl etcdctl =
        new Etcdctl(
            running.stream()
                .map(i -> "http://" + cluster.clientAddress(i))
                .collect(Collectors.joining(",")),
            cluster.dir().resolve("etcdctl"));

    assertThat(etcdctl.run("move-leader", hex(targetId)).requireSuccess().stdout())
        .isEqualTo("Leadership transferred from " + hex(leaderId) + " to " + hex(targetId) + "\n");
    assertThat(cluster.awaitLeader()).as("the leader after move-leader").isEqualTo(target);

    Etcdctl.Result add = etcdctl.run("member", "add", "extra", "--peer-urls=http://127.0.0.1:9");
    assertThat(add.exitCode()).as("etcdctl member add: %s", add).isNotZero();
    assertThat(add.stderr()).contains("Ballot adds members by registration").contains("--join");
    StatusRuntimeException addRefused =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                cluster
                    .clusterApi(target)
                    .withDeadlineAfter(Members.CHANGE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .memberAdd(
                        MemberAddRequest.newBuilder().addPeerURLs("http://127.0.0.1:9").build()));
    assertThat(addRefused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);

    Etcdctl.Result promote = etcdctl.run("member", "promote", hex(leaderId));
    assertThat(promote.exitCode()).as("etcdctl member promote of a voter: %s", promote).isNotZero();
    assertThat(promote.stderr()).contains("etcdserver: can only promote a learner member");
    StatusRuntimeException promoteRefused =
        catchThrowableOfType(
            StatusRuntimeException.class, () -> Members.promote(cluster, leader, targetId));
    assertThat(promoteRefused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(promoteRefused.getStatus().getDescription())
        .isEqualTo("etcdserver: can only promote a learner member");

    long unknownId = 1000;
    StatusRuntimeException removeUnknown =
        catchThrowableOfType(
            StatusRuntimeException.class, () -> remove(cluster, target, unknownId));
    assertThat(removeUnknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(removeUnknown.getStatus().getDescription())
        .isEqualTo("etcdserver: member not found");

    assertThat(learnerFlags(cluster.memberList(target)))
        .as("members after the refused changes")
        .isEqualTo(members);
    assertThat(cluster.leaderIndex()).as("still the leader").hasValue(target);
  }

  /** Each of {@code nodes} reports the term and the leader that {@code before} did. */
  private static void assertLeaderAndTermUnchanged(StatusResponse before, List<Integer> nodes) {
    for (int node : nodes) {
      StatusResponse after = cluster.status(node);
      assertThat(after.getRaftTerm()).as("term on node %d", node).isEqualTo(before.getRaftTerm());
      assertThat(after.getLeader()).as("leader on node %d", node).isEqualTo(before.getLeader());
    }
  }

  /** A running node other than {@code leader}. */
  private static int aFollower(int leader) {
    return runningExcept(cluster, List.of(leader)).get(0);
  }

  private static String hex(long id) {
    return Long.toHexString(id);
  }
}
