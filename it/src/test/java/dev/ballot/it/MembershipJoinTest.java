package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.kv;
import static dev.ballot.it.ClientCalls.value;
import static dev.ballot.it.Members.OWN_EXIT_BOUND;
import static dev.ballot.it.Members.REMOVED_LOG_LINE;
import static dev.ballot.it.Members.awaitMemberListOnEveryNode;
import static dev.ballot.it.Members.ids;
import static dev.ballot.it.Members.learnerFlags;
import static dev.ballot.it.Members.remove;
import static dev.ballot.it.Members.runningExcept;
import static dev.ballot.it.Members.voters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.client.BallotClient;
import dev.ballot.client.KeyValue;
import dev.ballot.client.MemberInfo;
import dev.ballot.client.RangeOptions;
import dev.ballot.it.ClientWriter.Outcome;
import dev.ballot.it.ClientWriter.Write;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.MemberRemoveResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Growing and shrinking a running cluster: nodes started with {@code kvserver --join} get the next
 * node id (never one given out before), join as learners and are promoted; members are removed, the
 * leader included, while a client keeps writing. Ballot-only: etcd adds members by MemberAdd. Each
 * test changes the membership, so each has its own cluster.
 */
class MembershipJoinTest {
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration WRITES_BOUND = Duration.ofSeconds(30);

  /** etcdctl 3.4's member list table: id, status, name, peer URLs, client URLs, is learner. */
  private static final Pattern MEMBER_LINE =
      Pattern.compile("^([0-9a-f]+), started, ([^,]*), ([^,]+), ([^,]+), (true|false)$");

  /** kvserver's INFO line for each configuration it applies (only when the members change). */
  private static final Pattern MEMBERSHIP_APPLIED =
      Pattern.compile("membership applied index=(\\d+) members=\\[(.*)]");

  @RegisterExtension final Clusters clusters = new Clusters();

  @BeforeEach
  void needsJoinByRegistration() {
    assumeTrue(
        ServerFlavor.fromSystemProperty().joinsByRegistration(),
        "joining with --join (next id, learner, automatic promotion) is Ballot's");
  }

  @Test
  void joinerGetsIdFourAndEveryNodeListsItFirstAsALearnerThenAsAVoter() throws Exception {
    KvCluster cluster = clusters.start(3);
    Etcd.put(cluster.kv(cluster.awaitLeader()), "before-join", "1");

    int joiner = cluster.join();

    assertThat(cluster.memberId(joiner)).as("id of the joined node").isEqualTo(4);
    List<Integer> all = List.of(0, 1, 2, joiner);
    Map<Long, Boolean> fourVoters = voters(List.of(1L, 2L, 3L, 4L));
    awaitMemberListOnEveryNode(cluster, all, fourVoters);
    for (int node = 0; node < 3; node++) {
      assertThat(appliedMemberships(cluster, node))
          .as("memberships node %d applied, in log order", node)
          .containsSubsequence("1@, 2@, 3@, 4(learner)@", "1@, 2@, 3@, 4@");
    }
    try (BallotClient ballot = client(cluster, joiner)) {
      assertThat(value(ballot.status(cluster.clientAddress(joiner))).isLearner())
          .as("Status.isLearner of node 4")
          .isFalse();
    }
    assertThat(Etcd.value(cluster.kv(joiner), "before-join", true))
        .as("the joined node's own copy")
        .isEqualTo("1");

    Path scratch = cluster.dir().resolve("etcdctl");
    for (int node : all) {
      String endpoint = "http://" + cluster.clientAddress(node);
      assertThat(etcdctlMemberList(new Etcdctl(endpoint, scratch)))
          .as("etcdctl member list on node %d", node)
          .isEqualTo(fourVoters);
      try (Client jetcd = Client.builder().endpoints(endpoint).build()) {
        Map<Long, Boolean> members = new TreeMap<>();
        jetcd
            .getClusterClient()
            .listMember()
            .get(10, TimeUnit.SECONDS)
            .getMembers()
            .forEach(m -> members.put(m.getId(), m.isLearner()));
        assertThat(members).as("jetcd member list on node %d", node).isEqualTo(fourVoters);
      }
      try (BallotClient ballot = client(cluster, node)) {
        List<MemberInfo> members = value(ballot.members());
        Map<Long, Boolean> learners = new TreeMap<>();
        members.forEach(m -> learners.put(m.id(), m.isLearner()));
        assertThat(learners).as("Ballot client member list on node %d", node).isEqualTo(fourVoters);
        assertThat(members)
            .filteredOn(m -> m.id() == 4)
            .singleElement()
            .extracting(MemberInfo::clientUrls)
            .isEqualTo(List.of("http://" + cluster.clientAddress(joiner)));
      }
    }
  }

  @Test
  void writesGoOnWhileANodeJoinsAndTheLeaderIsRemovedAndNoAcknowledgedWriteIsLost() {
    KvCluster cluster = clusters.start(3);
    List<Write> writes;
    int removed;
    long removedId;
    List<Integer> staying;
    try (BallotClient client = client(cluster, WRITE_TIMEOUT, 0, 1, 2);
        ClientWriter writer = ClientWriter.start(client, WRITE_TIMEOUT, "stream")) {
      writer.awaitAckedStartedAfter(0, 20, WRITES_BOUND);

      long joinNanos = System.nanoTime();
      int joiner = cluster.join();
      assertThat(cluster.memberId(joiner)).as("id of the first joined node").isEqualTo(4);
      awaitMemberListOnEveryNode(
          cluster, List.of(cluster.awaitLeader()), voters(List.of(1L, 2L, 3L, 4L)));
      writer.awaitAckedStartedAfter(joinNanos, 20, WRITES_BOUND);

      removed = cluster.awaitLeader();
      removedId = cluster.memberId(removed);
      staying = runningExcept(cluster, List.of(removed));
      List<Long> stayingIds = ids(cluster, staying);
      cluster.expectOwnExit(removed);
      long removeNanos = System.nanoTime();
      // Asked of the leader itself: it hands over first, then the new leader removes it.
      MemberRemoveResponse answer = remove(cluster, removed, removedId);

      assertThat(learnerFlags(answer.getMembersList()).keySet())
          .as("members after removing the leader, member %d", removedId)
          .containsExactlyElementsOf(stayingIds);
      assertThat(cluster.awaitOwnExit(removed, OWN_EXIT_BOUND))
          .as("exit code of the removed leader")
          .isZero();
      assertThat(cluster.awaitLeader(Set.of(removed))).isIn(staying);
      writer.awaitAckedStartedAfter(removeNanos, 20, WRITES_BOUND);

      int second = cluster.join();
      assertThat(cluster.memberId(second))
          .as("id of the next joined node: ids are never reused")
          .isEqualTo(5);
      staying = runningExcept(cluster, List.of());
      writer.awaitAckedStartedAfter(System.nanoTime(), 10, WRITES_BOUND);
      writes = writer.stop();
    }
    assertThat(Members.log(cluster, removed)).contains(REMOVED_LOG_LINE);

    assertThat(writes)
        .as("every write is acknowledged or fails with OutcomeUnknown/Unavailable")
        .filteredOn(w -> w.outcome() == Outcome.OTHER)
        .isEmpty();
    List<Write> acked = writes.stream().filter(w -> w.outcome() == Outcome.ACKED).toList();
    assertThat(acked)
        .as("one write at a time: each acknowledged revision above the one before")
        .extracting(Write::revision)
        .isSorted()
        .doesNotHaveDuplicates();
    Set<String> unavailable =
        writes.stream()
            .filter(w -> w.outcome() == Outcome.UNAVAILABLE)
            .map(Write::key)
            .collect(Collectors.toSet());
    List<Long> memberIds = ids(cluster, staying);
    assertThat(memberIds).doesNotContain(removedId);
    awaitMemberListOnEveryNode(cluster, staying, voters(memberIds));
    for (int node : staying) {
      // A linearizable range through this node alone: every acknowledged write, as acknowledged.
      try (BallotClient only = client(cluster, node)) {
        Map<String, KeyValue> stored =
            value(only.range(RangeOptions.builder("stream-").prefix().build())).kvs().stream()
                .collect(Collectors.toMap(KeyValue::keyString, Function.identity()));
        assertThat(acked)
            .as("acknowledged writes read through node %d", node)
            .allSatisfy(
                w ->
                    assertThat(stored.get(w.key()))
                        .as("acknowledged write %s", w.key())
                        .isEqualTo(kv(w.key(), w.value(), w.revision(), w.revision(), 1)));
        assertThat(stored.keySet())
            .as("writes that failed with UnavailableException were not written (node %d)", node)
            .filteredOn(unavailable::contains)
            .isEmpty();
        assertThat(stored.keySet())
            .as("nothing but the writes that were made (node %d)", node)
            .isSubsetOf(writes.stream().map(Write::key).toList());
        assertThat(stored.values())
            .as("no write applied twice (node %d)", node)
            .allSatisfy(kv -> assertThat(kv.version()).isEqualTo(1));
      }
    }
  }

  @Test
  void growsToFiveThenShrinksToThreeByRemovingTheLeaderAndAnotherWhoBothStopByThemselves() {
    KvCluster cluster = clusters.start(3);
    int fourth = cluster.join();
    int fifth = cluster.join();
    assertThat(List.of(cluster.memberId(fourth), cluster.memberId(fifth))).containsExactly(4L, 5L);
    List<Integer> all = List.of(0, 1, 2, fourth, fifth);
    awaitMemberListOnEveryNode(cluster, all, voters(List.of(1L, 2L, 3L, 4L, 5L)));

    int leader = cluster.awaitLeader();
    // The follower with the highest id: a later joiner must not get that id again.
    int follower =
        all.stream()
            .filter(i -> i != leader)
            .max((a, b) -> Long.compare(cluster.memberId(a), cluster.memberId(b)))
            .orElseThrow();
    long leaderId = cluster.memberId(leader);
    long followerId = cluster.memberId(follower);
    List<Integer> staying = runningExcept(cluster, List.of(leader, follower));
    cluster.expectOwnExit(leader);
    cluster.expectOwnExit(follower);

    Etcdctl etcdctl = etcdctl(cluster, all);
    long clusterId = cluster.status(leader).getHeader().getClusterId();
    assertThat(
            etcdctl.run("member", "remove", Long.toHexString(followerId)).requireSuccess().stdout())
        .as("etcdctl member remove, printed as etcdctl 3.4 prints it")
        .isEqualTo(String.format("Member %16x removed from cluster %16x%n", followerId, clusterId));
    remove(cluster, staying.get(0), leaderId);

    assertThat(cluster.awaitOwnExit(follower, OWN_EXIT_BOUND)).as("removed follower").isZero();
    assertThat(cluster.awaitOwnExit(leader, OWN_EXIT_BOUND)).as("removed leader").isZero();
    assertThat(Members.log(cluster, follower)).contains(REMOVED_LOG_LINE);
    assertThat(Members.log(cluster, leader)).contains(REMOVED_LOG_LINE);
    assertThat(cluster.awaitLeader(Set.of(leader, follower))).isIn(staying);
    List<Long> stayingIds = ids(cluster, staying);
    awaitMemberListOnEveryNode(cluster, staying, voters(stayingIds));
    for (int node : staying) {
      Etcd.put(cluster.kv(node), "after-shrink-" + node, "v" + node);
    }
    for (int node : staying) {
      assertThat(Etcd.prefixContents(cluster.kv(node), "after-shrink-", false))
          .as("linearizable read through node %d", node)
          .isEqualTo(
              staying.stream()
                  .collect(
                      Collectors.toMap(
                          n -> "after-shrink-" + n, n -> "v" + n, (a, b) -> a, TreeMap::new)));
    }

    int sixth = cluster.join();
    assertThat(cluster.memberId(sixth))
        .as("id of a node joining after %d and %d were removed", leaderId, followerId)
        .isEqualTo(6);
  }

  /** Each membership node {@code node} logged as applied, with addresses cut: "1@, 2@, 3@". */
  private static List<String> appliedMemberships(KvCluster cluster, int node) {
    List<String> memberships = new ArrayList<>();
    for (String line : Members.log(cluster, node).lines().toList()) {
      Matcher m = MEMBERSHIP_APPLIED.matcher(line);
      if (m.find()) {
        memberships.add(m.group(2).replaceAll("@[^,\\]]*", "@"));
      }
    }
    return memberships;
  }

  /** Member id to learner flag, from etcdctl's member list table. */
  private static Map<Long, Boolean> etcdctlMemberList(Etcdctl etcdctl) {
    Map<Long, Boolean> members = new TreeMap<>();
    for (String line : etcdctl.run("member", "list").requireSuccess().stdout().lines().toList()) {
      Matcher m = MEMBER_LINE.matcher(line);
      assertThat(m.matches()).as("etcdctl member line %s", line).isTrue();
      members.put(Long.parseUnsignedLong(m.group(1), 16), Boolean.parseBoolean(m.group(5)));
    }
    return members;
  }

  private static Etcdctl etcdctl(KvCluster cluster, List<Integer> nodes) {
    String endpoints =
        nodes.stream()
            .map(i -> "http://" + cluster.clientAddress(i))
            .collect(Collectors.joining(","));
    return new Etcdctl(endpoints, cluster.dir().resolve("etcdctl"));
  }
}
