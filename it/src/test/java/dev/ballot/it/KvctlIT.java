package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballot.cli.ExitCodes;
import dev.ballot.cli.Kvctl;
import dev.ballot.client.BallotClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * kvctl against a real 3-node cluster, run in-process through {@link Kvctl#run} (the whole program,
 * with its streams passed in): output, exact revisions and exit codes. In-process, a 1.5 MB value
 * fits on the command line and no JVM start is paid per command.
 */
class KvctlIT {
  /** The server's limit on one request, as etcd's default --max-request-bytes. */
  private static final int MAX_REQUEST_BYTES = 1536 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What 'kvctl lease grant' prints, as etcdctl: the id in hex and the TTL granted. */
  private static final Pattern GRANTED =
      Pattern.compile("lease ([0-9a-f]+) granted with TTL\\((\\d+)s\\)\n");

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;

  /** One kvctl invocation: its exit code and what it printed (also used by other kvctl tests). */
  record Run(int code, String out, String err) {}

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
  }

  @Test
  void putThenGetPrefixPrintsEachKeyThenItsValueInKeyOrder() {
    assertThat(kvctl("put", "app/b", "2")).isEqualTo(new Run(0, "OK\n", ""));
    assertThat(kvctl("put", "app/a", "hello world")).isEqualTo(new Run(0, "OK\n", ""));
    kvctl("put", "apq", "outside");

    assertThat(kvctl("get", "app/", "--prefix"))
        .isEqualTo(new Run(0, "app/a\nhello world\napp/b\n2\n", ""));
    assertThat(kvctl("get", "app/", "--prefix", "--count-only")).isEqualTo(new Run(0, "2\n", ""));
    assertThat(kvctl("get", "app/missing")).isEqualTo(new Run(0, "", ""));
  }

  @Test
  void delPrefixPrintsHowManyKeysItDeleted() {
    kvctl("put", "tmp/1", "x");
    kvctl("put", "tmp/2", "y");
    kvctl("put", "tmq", "outside");

    assertThat(kvctl("del", "tmp/", "--prefix", "--prev-kv"))
        .isEqualTo(new Run(0, "2\ntmp/1\nx\ntmp/2\ny\n", ""));
    assertThat(kvctl("get", "tmp/", "--prefix")).isEqualTo(new Run(0, "", ""));
    assertThat(kvctl("get", "tmq")).isEqualTo(new Run(0, "tmq\noutside\n", ""));
    assertThat(kvctl("del", "tmp/", "--prefix")).isEqualTo(new Run(0, "0\n", ""));
  }

  @Test
  void casSucceedsWithExitZeroAndFailsWithExitThreeShowingTheCurrentValue() {
    kvctl("put", "cas/k", "old");
    long created = modRevision("cas/k");

    assertThat(kvctl("cas", "cas/k", "old", "new"))
        .isEqualTo(new Run(0, "OK mod_revision=" + (created + 1) + "\n", ""));
    assertThat(kvctl("cas", "cas/k", "old", "newer"))
        .isEqualTo(
            new Run(
                ExitCodes.COMPARE_FAILED,
                "FAILED mod_revision=" + (created + 1) + " version=2\nnew\n",
                ""));
    assertThat(kvctl("cas", "cas/absent", "x", "y"))
        .isEqualTo(new Run(ExitCodes.COMPARE_FAILED, "FAILED key not found\n", ""));
    assertThat(kvctl("get", "cas/k")).isEqualTo(new Run(0, "cas/k\nnew\n", ""));

    assertThat(kvctl("cas", "cas/lock", "--mod-revision", "0", "me").code()).isZero();
    long locked = modRevision("cas/lock");
    assertThat(kvctl("cas", "cas/lock", "--mod-revision", "0", "you"))
        .isEqualTo(
            new Run(
                ExitCodes.COMPARE_FAILED,
                "FAILED mod_revision=" + locked + " version=1\nme\n",
                ""));
  }

  @Test
  void jsonGetIsOneLineWithTheKeysRevisionsAndVersion() throws Exception {
    kvctl("put", "json/k", "v1");
    kvctl("put", "json/k", "v \"2\"");

    Run get = kvctl("-w", "json", "get", "json/k");

    assertThat(get.code()).isZero();
    assertThat(get.err()).isEmpty();
    assertThat(get.out().lines()).hasSize(1);
    JsonNode answer = JSON.readTree(get.out());
    JsonNode kv = answer.get("kvs").get(0);
    long modified = kv.get("mod_revision").asLong();
    assertThat(answer.get("header").get("revision").asLong()).isGreaterThanOrEqualTo(modified);
    assertThat(answer.get("count").asLong()).isEqualTo(1);
    assertThat(answer.has("more")).as("etcdctl leaves out false and 0").isFalse();
    assertThat(kv.get("key").binaryValue()).isEqualTo(utf8("json/k"));
    assertThat(kv.get("value").binaryValue()).isEqualTo(utf8("v \"2\""));
    assertThat(kv.get("create_revision").asLong()).isEqualTo(modified - 1);
    assertThat(kv.get("version").asLong()).isEqualTo(2);
    assertThat(kv.has("lease")).isFalse();
  }

  @Test
  void binaryValuePutFromStandardInputReadsBackByteForByteInJsonAndRaw() throws Exception {
    byte[] value = {(byte) 0xff, 0x00, (byte) 0xc3};

    RawRun put = runRaw(value, "--endpoints", String.join(",", addresses()), "put", "bin/k");
    Run json = kvctl("-w", "json", "get", "bin/k");
    RawRun simple = runRaw(new byte[0], "--endpoints", addresses().get(1), "get", "bin/k");

    assertThat(put.code()).as(put.err()).isZero();
    byte[] decoded =
        Base64.getDecoder()
            .decode(JSON.readTree(json.out()).get("kvs").get(0).get("value").asText());
    assertThat(decoded).containsExactly(value);
    assertThat(simple.out())
        .containsExactly('b', 'i', 'n', '/', 'k', '\n', (byte) 0xff, 0x00, (byte) 0xc3, '\n');
  }

  @Test
  void binaryKeyWrittenByTheClientIsBase64InJson() throws Exception {
    byte[] key = {'b', 'k', '/', (byte) 0xc3, 0x28};
    try (BallotClient client = BallotClient.builder().endpoints(addresses()).build()) {
      client.put(key, new byte[] {1, 2}).join();
    }

    Run json = kvctl("-w", "json", "get", "bk/", "--prefix");

    JsonNode kv = JSON.readTree(json.out()).get("kvs").get(0);
    assertThat(Base64.getDecoder().decode(kv.get("key").asText())).containsExactly(key);
    assertThat(Base64.getDecoder().decode(kv.get("value").asText())).containsExactly(1, 2);
  }

  @Test
  void concurrentIncrementersThroughDifferentNodesLoseNoIncrement() throws Exception {
    int incrementers = 4;
    int incrementsEach = 15;
    ExecutorService pool = Executors.newFixedThreadPool(incrementers);
    List<Future<List<Long>>> seen = new ArrayList<>();
    try {
      for (int i = 0; i < incrementers; i++) {
        String endpoint = addresses().get(i % cluster.size());
        seen.add(
            pool.submit(
                () -> {
                  List<Long> values = new ArrayList<>();
                  for (int n = 0; n < incrementsEach; n++) {
                    Run incr = run("--endpoints", endpoint, "incr", "counter/hits");
                    assertThat(incr.code()).as(incr.toString()).isZero();
                    values.add(Long.parseLong(incr.out().strip()));
                  }
                  return values;
                }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> values : seen) {
        all.addAll(values.get(2, TimeUnit.MINUTES));
      }

      int total = incrementers * incrementsEach;
      assertThat(all).as("every increment got its own new value").doesNotHaveDuplicates();
      assertThat(all)
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
      assertThat(kvctl("get", "counter/hits").out()).isEqualTo("counter/hits\n" + total + "\n");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void getAtARevisionReadsTheOldValueUntilCompacted() throws Exception {
    kvctl("put", "hist/k", "first");
    long first =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(kvctl("-w", "json", "get", "hist/k").out())
            .path("kvs")
            .get(0)
            .path("mod_revision")
            .asLong();
    kvctl("put", "hist/k", "second");

    assertThat(kvctl("get", "hist/k", "--rev", Long.toString(first)).out())
        .isEqualTo("hist/k\nfirst\n");
    assertThat(kvctl("get", "hist/k").out()).isEqualTo("hist/k\nsecond\n");

    assertThat(kvctl("compact", Long.toString(first + 1)))
        .isEqualTo(new Run(0, "compacted revision " + (first + 1) + "\n", ""));
    Run compacted = kvctl("get", "hist/k", "--rev", Long.toString(first));
    assertThat(compacted.code()).isNotZero();
    assertThat(compacted.err()).contains("required revision has been compacted");
    assertThat(kvctl("compact", Long.toString(first)).err())
        .contains("required revision has been compacted");
    assertThat(kvctl("get", "hist/k").out()).isEqualTo("hist/k\nsecond\n");
  }

  @Test
  void leaseGrantPutTtlKeepAliveAndRevokeAsEtcdctlPrintsThem() {
    Run grant = kvctl("lease", "grant", "60");
    Matcher granted = GRANTED.matcher(grant.out());
    assertThat(granted.matches()).as(grant.toString()).isTrue();
    String id = granted.group(1);
    assertThat(granted.group(2)).isEqualTo("60");

    assertThat(kvctl("put", "svc/a", "up", "--lease", id)).isEqualTo(new Run(0, "OK\n", ""));
    assertThat(kvctl("put", "svc/b", "up", "--lease", "0x" + id)).isEqualTo(new Run(0, "OK\n", ""));
    Run ttl = kvctl("lease", "ttl", id, "--keys");
    assertThat(ttl.out())
        .matches(
            "lease "
                + id
                + " granted with TTL\\(60s\\), remaining\\((5[5-9]|60)s\\),"
                + " attached keys\\(\\[svc/a, svc/b\\]\\)\n");
    assertThat(kvctl("lease", "keep-alive", id, "--once"))
        .isEqualTo(new Run(0, "lease " + id + " keepalived with TTL(60)\n", ""));
    assertThat(kvctl("lease", "list").out()).contains("\n" + id + "\n");

    assertThat(kvctl("lease", "revoke", id))
        .isEqualTo(new Run(0, "lease " + id + " revoked\n", ""));
    assertThat(kvctl("get", "svc/", "--prefix"))
        .as("its keys went with it")
        .isEqualTo(new Run(0, "", ""));
    assertThat(kvctl("lease", "ttl", id))
        .isEqualTo(new Run(0, "lease " + id + " already expired\n", ""));
    assertThat(kvctl("lease", "keep-alive", id, "--once"))
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: lease " + id + " expired or revoked\n"));
    assertThat(kvctl("lease", "revoke", id))
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: requested lease not found\n"));
    assertThat(kvctl("put", "svc/c", "up", "--lease", id))
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: requested lease not found\n"));
    assertThat(kvctl("get", "svc/c")).isEqualTo(new Run(0, "", ""));
  }

  @Test
  void aKeepAliveLoopKeepsAShortLeaseAliveAndEndsWithExitOneWhenItIsRevoked() throws Exception {
    Matcher granted = GRANTED.matcher(kvctl("lease", "grant", "2").out());
    assertThat(granted.matches()).isTrue();
    String id = granted.group(1);
    long ttl = Long.parseLong(granted.group(2));
    kvctl("put", "alive/k", "v", "--lease", id);

    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Run> keepAlive = pool.submit(() -> kvctl("lease", "keep-alive", id));
      // Twice the TTL: without the renewals the key would be gone.
      TimeUnit.SECONDS.sleep(2 * ttl + 1);
      assertThat(keepAlive.isDone()).as("still renewing").isFalse();
      assertThat(kvctl("get", "alive/k").out()).isEqualTo("alive/k\nv\n");

      kvctl("lease", "revoke", id);
      Run run = keepAlive.get(30, TimeUnit.SECONDS);
      assertThat(run.code()).isEqualTo(ExitCodes.ERROR);
      assertThat(run.err()).isEqualTo("kvctl: lease " + id + " expired or revoked\n");
      String[] lines = run.out().split("\n");
      assertThat(lines.length).as("a renewal every third of the TTL").isGreaterThanOrEqualTo(4);
      assertThat(lines)
          .allMatch(line -> line.equals("lease " + id + " keepalived with TTL(" + ttl + ")"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anExpiredLeaseTakesItsKeysWithItAndJsonNamesIt() throws Exception {
    Run grant = kvctl("-w", "json", "lease", "grant", "2");
    JsonNode json = JSON.readTree(grant.out());
    String id = json.get("id").asText();
    assertThat(id).matches("[0-9a-f]+");
    long ttl = json.get("ttl").asLong();
    assertThat(ttl).isBetween(2L, 3L);
    assertThat(json.get("revision").asLong()).isPositive();
    kvctl("put", "exp/k", "v", "--lease", id);

    JsonNode live = JSON.readTree(kvctl("-w", "json", "lease", "ttl", id, "--keys").out());
    assertThat(live.get("granted_ttl").asLong()).isEqualTo(ttl);
    assertThat(live.get("keys").get(0).asText()).isEqualTo("exp/k");

    await()
        .atMost(Duration.ofSeconds(ttl + 10))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> kvctl("get", "exp/k").out().isEmpty());
    assertThat(kvctl("lease", "ttl", id).out()).isEqualTo("lease " + id + " already expired\n");
    assertThat(kvctl("lease", "list").out()).doesNotContain(id);
  }

  @Test
  void incrOfAValueThatIsNotAnIntegerIsAnErrorAndChangesNothing() {
    kvctl("put", "counter/word", "twelve");

    Run incr = kvctl("incr", "counter/word", "2");

    assertThat(incr)
        .isEqualTo(
            new Run(
                ExitCodes.ERROR,
                "",
                "kvctl: the value of \"counter/word\" is not a decimal integer: \"twelve\"\n"));
    assertThat(kvctl("get", "counter/word").out()).isEqualTo("counter/word\ntwelve\n");
  }

  @Test
  void statusPrintsOneRowPerEndpointWithExactlyOneLeaderInOneTerm() {
    Run status = kvctl("status");

    assertThat(status.code()).as(status.toString()).isZero();
    assertThat(status.err()).isEmpty();
    List<String> lines = status.out().lines().toList();
    assertThat(lines).hasSize(1 + cluster.size());
    assertThat(lines.get(0))
        .startsWith("ID")
        .contains("NAME", "ENDPOINT", "ROLE", "TERM", "LEADER");
    List<String[]> rows = lines.stream().skip(1).map(line -> line.trim().split("\\s+")).toList();
    assertThat(rows).extracting(row -> row[2]).containsExactlyElementsOf(addresses());
    assertThat(rows).extracting(row -> row[3]).containsOnly("leader", "follower");
    assertThat(rows).filteredOn(row -> row[3].equals("leader")).hasSize(1);
    String leaderId = rows.stream().filter(row -> row[3].equals("leader")).findFirst().get()[0];
    assertThat(rows).extracting(row -> row[5]).as("leader column").containsOnly(leaderId);
    assertThat(rows.stream().map(row -> row[4]).distinct()).as("term column").hasSize(1);
    Map<String, String> nameById = new HashMap<>();
    for (String[] member :
        kvctl("members").out().lines().skip(1).map(l -> l.split("\\s+")).toList()) {
      nameById.put(member[0], member[1]);
    }
    assertThat(rows).allSatisfy(row -> assertThat(row[1]).isEqualTo(nameById.get(row[0])));
    if (cluster.flavor() == ServerFlavor.KVSERVER) {
      assertThat(rows).extracting(row -> row[0]).containsExactlyInAnyOrder("1", "2", "3");
    }
  }

  @Test
  void statusClusterFindsEveryMemberFromOneEndpoint() {
    Run status = run("--endpoints", cluster.clientAddress(1), "status", "--cluster");

    assertThat(status.code()).as(status.toString()).isZero();
    List<String[]> rows =
        status.out().lines().skip(1).map(line -> line.trim().split("\\s+")).toList();
    assertThat(rows).extracting(row -> row[2]).containsExactlyInAnyOrderElementsOf(addresses());
    assertThat(rows).filteredOn(row -> row[3].equals("leader")).hasSize(1);
  }

  @Test
  void membersPrintsEveryMemberWithItsClientAddress() {
    Run members = kvctl("members");

    assertThat(members.code()).as(members.toString()).isZero();
    List<String> lines = members.out().lines().toList();
    assertThat(lines.get(0).split("\\s{2,}"))
        .containsExactly("ID", "NAME", "PEER ADDRS", "CLIENT ADDRS", "LEARNER");
    List<String[]> rows = lines.stream().skip(1).map(line -> line.trim().split("\\s+")).toList();
    assertThat(rows).hasSize(cluster.size());
    assertThat(rows)
        .extracting(row -> row[3])
        .containsExactlyInAnyOrderElementsOf(cluster.clientEndpoints());
    assertThat(rows).extracting(row -> row[4]).containsOnly("false");
    if (cluster.flavor() == ServerFlavor.KVSERVER) {
      assertThat(rows).extracting(row -> row[0]).containsExactlyInAnyOrder("1", "2", "3");
    }
  }

  @Test
  void unreachableEndpointExitsFiveWithOneLineMessage() {
    String nobody = "127.0.0.1:" + FreePorts.take(1).get(0);

    Run get = run("--endpoints", nobody, "--timeout", "1s", "get", "k");

    assertThat(get.code()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(get.out()).isEmpty();
    assertThat(get.err()).startsWith("kvctl: ").contains(nobody).endsWith("\n");
    assertThat(get.err().lines()).hasSize(1);
  }

  @Test
  void oversizedValueExitsOneWithEtcdsTooLargeMessageAndWritesNothing() {
    String big = "x".repeat(MAX_REQUEST_BYTES + 1024);

    Run put = kvctl("put", "big", big);

    assertThat(put)
        .isEqualTo(new Run(ExitCodes.ERROR, "", "kvctl: etcdserver: request is too large\n"));
    assertThat(kvctl("get", "big")).isEqualTo(new Run(0, "", ""));
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** kvctl with every node of the cluster as its endpoints. */
  private static Run kvctl(String... args) {
    return run(
        Stream.concat(Stream.of("--endpoints", String.join(",", addresses())), Arrays.stream(args))
            .toArray(String[]::new));
  }

  /** Runs kvctl in this JVM with exactly these arguments. */
  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kvctl.run(Map.of(), new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  /** kvctl with byte streams: {@code stdin} on standard input, standard output as bytes. */
  record RawRun(int code, byte[] out, String err) {}

  private static RawRun runRaw(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    int code =
        Kvctl.run(Map.of(), new ByteArrayInputStream(stdin), out, new PrintWriter(err), args);
    return new RawRun(code, out.toByteArray(), err.toString());
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> addresses() {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      addresses.add(cluster.clientAddress(i));
    }
    return addresses;
  }

  private static long modRevision(String key) {
    Run get = kvctl("-w", "json", "get", key);
    assertThat(get.code()).as(get.toString()).isZero();
    try {
      return JSON.readTree(get.out()).get("kvs").get(0).get("mod_revision").asLong();
    } catch (java.io.IOException e) {
      throw new AssertionError("kvctl printed no JSON: " + get, e);
    }
  }
}
