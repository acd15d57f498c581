package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcdctl 3.4 (Debian's etcd-client), unchanged, against a cluster. Expected outputs were recorded
 * from a real etcd 3.4; run with {@code -Dballot.it.server=etcd} to record them again.
 */
class EtcdctlCompatibilityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern MEMBER_LINE =
      Pattern.compile("^([0-9a-f]+), started, ([^,]*), ([^,]+), ([^,]+), false$");

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Etcdctl etcdctl;

  @BeforeAll
  static void startCluster() {
    Etcdctl.requireInstalled();
    cluster = clusters.start(3);
    etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
  }

  @Test
  void putPrintsOkAndGetPrintsKeyAndValue() {
    assertThat(etcdctl.run("put", "ctl/one", "1").requireSuccess().stdout()).isEqualTo("OK\n");
    assertThat(etcdctl.run("get", "ctl/one").requireSuccess().stdout()).isEqualTo("ctl/one\n1\n");
    assertThat(etcdctl.run("put", "--prev-kv", "ctl/one", "2").requireSuccess().stdout())
        .isEqualTo("OK\nctl/one\n1\n");
    assertThat(etcdctl.run("get", "ctl/missing").requireSuccess().stdout()).isEmpty();
  }

  @Test
  void getWithPrefixPrintsKeysInOrder() throws Exception {
    etcdctl.run("put", "ctl/p/b", "2").requireSuccess();
    etcdctl.run("put", "ctl/p/a", "1").requireSuccess();
    etcdctl.run("put", "ctl/q", "outside").requireSuccess();

    assertThat(etcdctl.run("get", "--prefix", "ctl/p/").requireSuccess().stdout())
        .isEqualTo("ctl/p/a\n1\nctl/p/b\n2\n");
    assertThat(etcdctl.run("get", "--prefix", "--keys-only", "ctl/p/").requireSuccess().stdout())
        .isEqualTo("ctl/p/a\n\nctl/p/b\n\n");
    assertThat(etcdctl.run("get", "--prefix", "--limit=1", "ctl/p/").requireSuccess().stdout())
        .isEqualTo("ctl/p/a\n1\n");

    JsonNode json = JSON.readTree(etcdctl.run("get", "--prefix", "ctl/p/", "-w", "json").stdout());
    assertThat(json.get("count").asLong()).isEqualTo(2);
    assertThat(json.get("kvs")).hasSize(2);
    JsonNode first = json.get("kvs").get(0);
    assertThat(first.get("key").asText()).isEqualTo("Y3RsL3AvYQ=="); // base64 of ctl/p/a
    assertThat(first.get("value").asText()).isEqualTo("MQ=="); // base64 of 1
    assertThat(first.get("version").asLong()).isEqualTo(1);
    assertThat(first.get("create_revision").asLong())
        .isEqualTo(first.get("mod_revision").asLong())
        .isLessThanOrEqualTo(json.get("header").get("revision").asLong());
  }

  @Test
  void delPrintsHowManyKeysItDeleted() {
    etcdctl.run("put", "ctl/d/1", "one").requireSuccess();
    etcdctl.run("put", "ctl/d/2", "two").requireSuccess();
    etcdctl.run("put", "ctl/d/3", "three").requireSuccess();

    assertThat(etcdctl.run("del", "ctl/d/1").requireSuccess().stdout()).isEqualTo("1\n");
    assertThat(etcdctl.run("del", "ctl/d/missing").requireSuccess().stdout()).isEqualTo("0\n");
    assertThat(etcdctl.run("del", "--prev-kv", "ctl/d/2").requireSuccess().stdout())
        .isEqualTo("1\nctl/d/2\ntwo\n");
    assertThat(etcdctl.run("del", "--prefix", "ctl/d/").requireSuccess().stdout()).isEqualTo("1\n");
    assertThat(etcdctl.run("get", "--prefix", "ctl/d/").requireSuccess().stdout()).isEmpty();
  }

  @Test
  void txnFromStandardInputRunsTheBranchItsCompareSelects() {
    etcdctl.run("put", "ctl/t", "x").requireSuccess();
    String script = "value(\"ctl/t\") = \"x\"\n\nput ctl/t y\nget ctl/t\n\nput ctl/t z\n\n";

    assertThat(etcdctl.runWithInput(script, "txn").requireSuccess().stdout())
        .isEqualTo("SUCCESS\n\nOK\n\nctl/t\ny\n");
    assertThat(etcdctl.runWithInput(script, "txn").requireSuccess().stdout())
        .isEqualTo("FAILURE\n\nOK\n");
    assertThat(etcdctl.run("get", "ctl/t").requireSuccess().stdout()).isEqualTo("ctl/t\nz\n");
  }

  @Test
  void endpointStatusOfTheClusterNamesOneLeader() throws Exception {
    JsonNode statuses =
        JSON.readTree(
            etcdctl.run("endpoint", "status", "--cluster", "-w", "json").requireSuccess().stdout());

    assertThat(statuses).hasSize(3);
    Set<String> endpoints = new HashSet<>();
    Set<Long> memberIds = new HashSet<>();
    Set<Long> leaders = new HashSet<>();
    Set<Long> clusterIds = new HashSet<>();
    for (JsonNode entry : statuses) {
      endpoints.add(entry.get("Endpoint").asText());
      JsonNode status = entry.get("Status");
      memberIds.add(uint64(status.get("header").get("member_id")));
      clusterIds.add(uint64(status.get("header").get("cluster_id")));
      leaders.add(uint64(status.get("leader")));
      assertThat(status.get("raftTerm").asLong()).isPositive();
      assertThat(status.get("raftIndex").asLong()).isPositive();
    }
    assertThat(endpoints).containsExactlyInAnyOrderElementsOf(cluster.clientEndpoints());
    assertThat(memberIds).hasSize(3).doesNotContain(0L);
    assertThat(clusterIds).hasSize(1).doesNotContain(0L);
    assertThat(leaders).hasSize(1).doesNotContain(0L);
    assertThat(memberIds).containsAll(leaders);
  }

  @Test
  void endpointHashKvPrintsOneHashForEveryMemberAtOneRevision() {
    etcdctl.run("put", "ctl/h", "1").requireSuccess();
    long[] first = awaitOneHashAtOneRevision();

    String simple = etcdctl.run("endpoint", "hashkv", "--cluster").requireSuccess().stdout();
    assertThat(simple.lines())
        .hasSize(3)
        .allMatch(line -> line.matches("http://127\\.0\\.0\\.1:\\d+, " + first[1]));

    etcdctl.run("put", "ctl/h", "2").requireSuccess();
    long[] second = awaitOneHashAtOneRevision();
    assertThat(second[0]).isGreaterThan(first[0]);
    assertThat(second[1]).isNotEqualTo(first[1]);
  }

  /** Waits until every member hashes at one revision, and returns {revision, hash}. */
  private static long[] awaitOneHashAtOneRevision() {
    long[] found = new long[2];
    await("one revision and hash on every member")
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              JsonNode hashes =
                  JSON.readTree(
                      etcdctl
                          .run("endpoint", "hashkv", "--cluster", "-w", "json")
                          .requireSuccess()
                          .stdout());
              assertThat(hashes).hasSize(3);
              Set<Long> revisions = new HashSet<>();
              Set<Long> values = new HashSet<>();
              for (JsonNode entry : hashes) {
                JsonNode hashKv = entry.get("HashKV");
                revisions.add(hashKv.get("header").get("revision").asLong());
                values.add(hashKv.get("hash").asLong());
              }
              assertThat(revisions).hasSize(1);
              assertThat(values).hasSize(1);
              found[0] = revisions.iterator().next();
              found[1] = values.iterator().next();
            });
    return found;
  }

  @Test
  void endpointHealthReportsEveryEndpointHealthy() {
    Etcdctl.Result result = etcdctl.run("endpoint", "health").requireSuccess();
    // etcdctl 3.4 prints the health lines on stderr.
    String output = result.stdout() + result.stderr();
    for (String endpoint : cluster.clientEndpoints()) {
      assertThat(output)
          .containsPattern(
              Pattern.quote(endpoint) + " is healthy: successfully committed proposal: took = ");
    }
    assertThat(output).doesNotContain("unhealthy");
  }

  @Test
  void memberListPrintsEveryMemberWithItsClientUrl() throws Exception {
    String table = etcdctl.run("member", "list").requireSuccess().stdout();
    List<String> lines = table.lines().toList();
    assertThat(lines).hasSize(3);

    Set<Long> ids = new HashSet<>();
    List<String> clientUrls = new ArrayList<>();
    for (String line : lines) {
      Matcher m = MEMBER_LINE.matcher(line);
      assertThat(m.matches()).as("member line %s", line).isTrue();
      ids.add(Long.parseUnsignedLong(m.group(1), 16));
      clientUrls.add(m.group(4));
    }
    assertThat(clientUrls).containsExactlyInAnyOrderElementsOf(cluster.clientEndpoints());
    Set<Long> statusIds = new HashSet<>();
    for (int i = 0; i < cluster.size(); i++) {
      statusIds.add(cluster.memberId(i));
    }
    assertThat(ids).isEqualTo(statusIds);

    JsonNode json = JSON.readTree(etcdctl.run("member", "list", "-w", "json").stdout());
    assertThat(json.get("members")).hasSize(3);
    Set<Long> jsonIds = new HashSet<>();
    json.get("members").forEach(m -> jsonIds.add(uint64(m.get("ID"))));
    assertThat(jsonIds).isEqualTo(statusIds);
  }

  /** etcdctl prints uint64 ids as JSON numbers, which may exceed a signed long. */
  private static long uint64(JsonNode number) {
    return number.bigIntegerValue().longValue();
  }
}
