package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballot.cli.ExitCodes;
import dev.ballot.it.KvctlIT.Run;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kvctl member remove / promote and move-leader against a real cluster, one cluster per test since
 * each changes the membership or the leader. Ids are given in hex, as kvctl prints them.
 */
class MembershipKvctlIT {
  private static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(30);
  private static final String TIMEOUT = "10s";
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void memberRemoveOfAFollowerShrinksTheClusterAndRemovingItAgainIsNotFound() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % 3;
    long removedId = cluster.memberId(follower);
    List<Integer> staying = others(cluster, follower);

    Run remove = kvctl(cluster, staying, "member", "remove", hex(removedId));

    assertThat(remove).isEqualTo(new Run(0, "Member " + hex(removedId) + " removed\n", ""));
    cluster.stop(follower); // etcd's removed member exits by itself; a Ballot node may linger
    awaitMemberIdsOnEveryNode(cluster, staying, ids(cluster, staying));
    assertThat(kvctl(cluster, staying, "put", "after/remove", "v"))
        .isEqualTo(new Run(0, "OK\n", ""));
    assertThat(kvctl(cluster, staying, "member", "remove", hex(removedId)))
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: member not found\n"));
  }

  @Test
  void memberRemoveOfTheLeaderLeavesTheOthersWithANewLeader() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    long leaderId = cluster.memberId(leader);
    List<Integer> staying = others(cluster, leader);

    Run remove = kvctl(cluster, staying, "member", "remove", hex(leaderId));

    assertThat(remove).isEqualTo(new Run(0, "Member " + hex(leaderId) + " removed\n", ""));
    cluster.stop(leader);
    cluster.awaitLeader(Set.of(leader));
    awaitMemberIdsOnEveryNode(cluster, staying, ids(cluster, staying));
    assertThat(kvctl(cluster, staying, "put", "after/leader", "v"))
        .isEqualTo(new Run(0, "OK\n", ""));
  }

  @Test
  void memberPromoteTurnsAJoinedLearnerIntoAVoterAndRefusesAVoter() {
    KvCluster cluster = clusters.start(3);
    List<Integer> all = others(cluster, -1);
    int learner = cluster.join();
    long learnerId = cluster.memberId(learner);
    JsonNode member = member(members(cluster, all), learnerId);
    assertThat(member.get("peer_urls").get(0).asText())
        .isEqualTo("http://" + cluster.peerAddress(learner));
    if (cluster.flavor() == ServerFlavor.ETCD) {
      assertThat(member.get("is_learner").asBoolean()).as("is_learner").isTrue();
    }

    assertThat(kvctl(cluster, all, "member", "promote", hex(cluster.memberId(0))))
        .isEqualTo(
            new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: can only promote a learner member\n"));

    // etcd refuses a learner that is still catching up; Ballot may also promote it by itself
    // first (then "can only promote a learner member"). Either way it must end up a voter.
    boolean[] promotedByKvctl = {false};
    await("member " + hex(learnerId) + " promoted")
        .atMost(CONVERGE_TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Run promote = kvctl(cluster, all, "member", "promote", hex(learnerId));
              if (promote.code() == 0) {
                assertThat(promote)
                    .isEqualTo(new Run(0, "Member " + hex(learnerId) + " promoted\n", ""));
                promotedByKvctl[0] = true;
                return true;
              }
              assertThat(promote.err())
                  .as(promote.toString())
                  .isIn(
                      "kvctl: etcdserver: can only promote a learner member which is in sync"
                          + " with leader\n",
                      "kvctl: etcdserver: can only promote a learner member\n");
              return promote.err().endsWith("member\n");
            });
    if (cluster.flavor() == ServerFlavor.ETCD) {
      assertThat(promotedByKvctl[0]).as("etcd never promotes by itself").isTrue();
    }
    List<String> endpoints = new ArrayList<>(addresses(cluster, all));
    endpoints.add(cluster.clientAddress(learner));
    for (String endpoint : endpoints) {
      await("member list of " + endpoint + " shows " + hex(learnerId) + " as a voter")
          .atMost(CONVERGE_TIMEOUT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  !member(KvctlIT.run("--endpoints", endpoint, "-w", "json", "members"), learnerId)
                      .get("is_learner")
                      .asBoolean());
    }
  }

  @Test
  void moveLeaderHandsLeadershipToTheTargetWhicheverEndpointIsAsked() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int target = (leader + 1) % 3;
    int bystander = (leader + 2) % 3;
    long leaderId = cluster.memberId(leader);
    long targetId = cluster.memberId(target);

    Run move = kvctl(cluster, List.of(bystander), "move-leader", hex(targetId));

    assertThat(move)
        .isEqualTo(
            new Run(
                0,
                "Leadership transferred from " + hex(leaderId) + " to " + hex(targetId) + "\n",
                ""));
    assertThat(cluster.awaitLeader(Set.of(leader))).isEqualTo(target);
    List<Integer> all = others(cluster, -1);
    assertThat(kvctl(cluster, all, "move-leader", "0x" + hex(targetId)))
        .isEqualTo(
            new Run(
                0,
                "Leadership transferred from " + hex(targetId) + " to " + hex(targetId) + "\n",
                ""));
    assertThat(kvctl(cluster, all, "move-leader", "fedcba"))
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: bad leader transferee\n"));
    assertThat(cluster.leaderIndex()).hasValue(target);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static String hex(long id) {
    return Long.toHexString(id);
  }

  /** Every node index except {@code excluded}. */
  private static List<Integer> others(KvCluster cluster, int excluded) {
    return IntStream.range(0, cluster.size()).filter(i -> i != excluded).boxed().toList();
  }

  private static List<String> addresses(KvCluster cluster, List<Integer> nodes) {
    return nodes.stream().map(cluster::clientAddress).toList();
  }

  private static List<Long> ids(KvCluster cluster, List<Integer> nodes) {
    return nodes.stream().map(cluster::memberId).sorted().toList();
  }

  /** kvctl with these nodes as its endpoints. */
  private static Run kvctl(KvCluster cluster, List<Integer> nodes, String... args) {
    String endpoints = String.join(",", addresses(cluster, nodes));
    return KvctlIT.run(
        Stream.concat(Stream.of("--endpoints", endpoints, "--timeout", TIMEOUT), Stream.of(args))
            .toArray(String[]::new));
  }

  private static Run members(KvCluster cluster, List<Integer> nodes) {
    return kvctl(cluster, nodes, "-w", "json", "members");
  }

  /** The members of 'kvctl -w json members', each with id, name, peer_urls, is_learner ... */
  private static List<JsonNode> memberList(Run members) {
    assertThat(members.code()).as(members.toString()).isZero();
    try {
      List<JsonNode> list = new ArrayList<>();
      JSON.readTree(members.out()).get("members").forEach(list::add);
      return list;
    } catch (IOException e) {
      throw new UncheckedIOException("kvctl printed no JSON: " + members, e);
    }
  }

  private static JsonNode member(Run members, long id) {
    return memberList(members).stream()
        .filter(m -> m.get("id").asLong() == id)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no member " + hex(id) + " in " + members));
  }

  /** Waits until each of {@code nodes} lists exactly the members {@code ids}. */
  private static void awaitMemberIdsOnEveryNode(
      KvCluster cluster, List<Integer> nodes, List<Long> ids) {
    for (int node : nodes) {
      await("member list of node " + node + " to be " + ids)
          .atMost(CONVERGE_TIMEOUT)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  memberList(members(cluster, List.of(node))).stream()
                      .map(m -> m.get("id").asLong())
                      .sorted()
                      .toList()
                      .equals(ids));
    }
  }
}
