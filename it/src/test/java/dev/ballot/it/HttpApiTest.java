package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP port of real kvserver processes, through the JDK's HTTP client and raw sockets: the JSON
 * key API with the gRPC API's errors, compare-and-swap, status and probes while nodes die, the
 * Prometheus text format parsed line by line, the event stream, and garbage on the port. Ballot
 * only: etcd serves no such port.
 */
class HttpApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CHANGE_BOUND = Duration.ofSeconds(15);

  @RegisterExtension final Clusters clusters = new Clusters();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private KvCluster cluster;

  @BeforeEach
  void start() {
    assumeTrue(ServerFlavor.fromSystemProperty().servesHttp(), "etcd serves no Ballot HTTP port");
    cluster = clusters.start(3);
  }

  record Answer(int status, String contentType, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  private Answer send(int node, String method, String path, String contentType, byte[] body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://" + cluster.httpAddress(node) + path))
            .timeout(Duration.ofSeconds(15));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.headers().firstValue("content-type").orElse(""), r.body());
  }

  private Answer get(int node, String path) throws Exception {
    return send(node, "GET", path, null, null);
  }

  private Answer put(int node, String path, String value) throws Exception {
    return send(node, "PUT", path, "text/plain", value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void keysWrittenThroughOneNodeAreReadThroughAnother() throws Exception {
    assertThat(put(0, "/v1/kv/app/a", "one").status()).isEqualTo(200);
    Answer json =
        send(
            1,
            "PUT",
            "/v1/kv/app/b",
            "application/json",
            "{\"value_base64\":\"/wA=\",\"prev_kv\":true}".getBytes(StandardCharsets.UTF_8));
    assertThat(json.status()).as(json.body()).isEqualTo(200);
    assertThat(json.json().has("prev_kv")).as("b did not exist").isFalse();

    Answer a = get(2, "/v1/kv/app/a");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.contentType()).startsWith("application/json");
    JsonNode kv = a.json().get("kvs").get(0);
    assertThat(kv.get("key").asText()).isEqualTo("app/a");
    assertThat(kv.get("value").asText()).isEqualTo("one");
    assertThat(kv.get("version").asLong()).isEqualTo(1);
    assertThat(a.json().get("count").asLong()).isEqualTo(1);

    JsonNode b = get(2, "/v1/kv/app/b?serializable").json().get("kvs").get(0);
    assertThat(b.has("value")).as("not UTF-8").isFalse();
    assertThat(b.get("value_base64").asText()).isEqualTo("/wA=");

    HttpResponse<String> raw =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + cluster.httpAddress(1) + "/v1/kv/app/a"))
                .header("Accept", "text/plain")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(raw.body()).isEqualTo("one");

    JsonNode prefix = get(0, "/v1/kv/app/?prefix&keys_only").json();
    assertThat(prefix.get("count").asLong()).isEqualTo(2);
    assertThat(prefix.get("kvs").get(0).has("value")).isFalse();

    long revision = a.json().get("header").get("revision").asLong();
    assertThat(put(0, "/v1/kv/app/a", "two").status()).isEqualTo(200);
    assertThat(
            get(1, "/v1/kv/app/a?rev=" + revision).json().get("kvs").get(0).get("value").asText())
        .isEqualTo("one");

    Answer missing = get(1, "/v1/kv/nothing-here");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().get("error").asText()).isEqualTo("key not found");

    Answer deleted = send(2, "DELETE", "/v1/kv/app/?prefix", null, null);
    assertThat(deleted.json().get("deleted").asLong()).isEqualTo(2);
    assertThat(get(0, "/v1/kv/app/?prefix").json().get("count").asLong()).isZero();
    // The same store as gRPC clients see.
    assertThat(Etcd.get(cluster.kv(0), "app/a", false).getKvsCount()).isZero();
  }

  @Test
  void aTxnComparesAndSwapsOnce() throws Exception {
    put(0, "/v1/kv/lock", "free");
    String cas =
        """
        {"compare": [{"key": "lock", "target": "value", "result": "=", "value": "free"}],
         "success": [{"put": {"key": "lock", "value": "taken", "prev_kv": true}}],
         "failure": [{"get": {"key": "lock"}}]}
        """;
    Answer first = send(1, "POST", "/v1/txn", "application/json", cas.getBytes());
    Answer second = send(2, "POST", "/v1/txn", "application/json", cas.getBytes());

    assertThat(first.json().get("succeeded").asBoolean()).as(first.body()).isTrue();
    assertThat(first.json().at("/responses/0/put/prev_kv/value").asText()).isEqualTo("free");
    assertThat(second.json().get("succeeded").asBoolean()).isFalse();
    assertThat(second.json().at("/responses/0/get/kvs/0/value").asText()).isEqualTo("taken");

    String version =
        """
        {"compare": [{"key": "lock", "target": "version", "result": ">", "version": 1}],
         "success": [{"delete": {"key": "lock"}}]}
        """;
    Answer v = send(0, "POST", "/v1/txn", "application/json", version.getBytes());
    assertThat(v.json().get("succeeded").asBoolean()).isTrue();
    assertThat(v.json().at("/responses/0/delete/deleted").asLong()).isEqualTo(1);
  }

  @Test
  void refusalsCarryTheGrpcApisErrorAndWriteNothing() throws Exception {
    long before = Etcd.get(cluster.kv(0), "x", false).getHeader().getRevision();

    Answer noKey = put(0, "/v1/kv/", "v");
    assertThat(noKey.status()).isEqualTo(400);
    assertThat(noKey.json().get("error").asText()).isEqualTo("etcdserver: key is not provided");
    assertThat(noKey.json().get("code").asText()).isEqualTo("INVALID_ARGUMENT");

    Answer tooLarge = put(1, "/v1/kv/big", "v".repeat(1536 * 1024 + 1));
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.json().get("error").asText()).isEqualTo("etcdserver: request is too large");

    Answer future = get(2, "/v1/kv/x?rev=999999");
    assertThat(future.status()).isEqualTo(400);
    assertThat(future.json().get("error").asText())
        .isEqualTo("etcdserver: mvcc: required revision is a future revision");

    Answer badTxn = send(0, "POST", "/v1/txn", "application/json", "{\"compare\": [".getBytes());
    assertThat(badTxn.status()).isEqualTo(400);
    assertThat(badTxn.json().get("error").asText()).startsWith("invalid JSON: ");
    Answer badTarget =
        send(
            0,
            "POST",
            "/v1/txn",
            "application/json",
            "{\"compare\":[{\"key\":\"a\",\"target\":\"size\"}]}".getBytes());
    assertThat(badTarget.status()).isEqualTo(400);
    assertThat(badTarget.json().get("error").asText()).startsWith("compare target must be");
    assertThat(get(0, "/v1/kv/x?bogus=1").status()).isEqualTo(400);
    assertThat(get(0, "/v1/kv/x?rev=ten").status()).isEqualTo(400);
    assertThat(send(0, "PATCH", "/v1/kv/x", null, null).status()).isEqualTo(405);
    assertThat(get(0, "/no/such/path").status()).isEqualTo(404);

    for (Answer a : List.of(noKey, tooLarge, future, badTxn, badTarget)) {
      assertThat(a.body()).doesNotContain("Exception", "\tat ");
    }
    assertThat(Etcd.get(cluster.kv(0), "x", false).getHeader().getRevision())
        .as("nothing was written")
        .isEqualTo(before);
  }

  @Test
  void garbageOnThePortIsRefusedAndTheNodeServesOn() throws Exception {
    String[] host = cluster.httpAddress(0).split(":");
    Random random = new Random(7);
    for (int i = 0; i < 20; i++) {
      try (Socket s = new Socket(host[0], Integer.parseInt(host[1]))) {
        s.setSoTimeout(5000);
        byte[] junk = new byte[1 + random.nextInt(20_000)];
        random.nextBytes(junk);
        OutputStream out = s.getOutputStream();
        out.write(junk);
        out.write("\r\n\r\n".getBytes());
        out.flush();
        InputStream in = s.getInputStream();
        byte[] head = in.readNBytes(12);
        // Either an HTTP error status or a closed connection; never a hang or a 2xx.
        if (head.length > 0) {
          assertThat(new String(head, StandardCharsets.US_ASCII)).matches("HTTP/1\\.1 4\\d\\d");
        }
      } catch (java.net.SocketException e) {
        // reset by the node: also a refusal
      }
    }
    try (Socket s = new Socket(host[0], Integer.parseInt(host[1]))) {
      s.setSoTimeout(5000);
      s.getOutputStream()
          .write(
              ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n")
                  .getBytes());
      String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 431");
    }
    assertThat(get(0, "/health").status()).isEqualTo(200);
    assertThat(put(0, "/v1/kv/after-garbage", "ok").status()).isEqualTo(200);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
    put(0, "/v1/kv/first", "1");
    String[] host = cluster.httpAddress(1).split(":");
    try (Socket s = new Socket(host[0], Integer.parseInt(host[1]))) {
      s.setSoTimeout(10_000);
      // A linearizable read (a round to the leader) ahead of two local answers.
      String three =
          "GET /v1/kv/first HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /v1/kv/first?count_only HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n";
      s.getOutputStream().write(three.getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String status = in.readLine();
        assertThat(status).as("answer %d", i).isEqualTo("HTTP/1.1 200 OK");
        int length = -1;
        for (String h; !(h = in.readLine()).isEmpty(); ) {
          if (h.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(h.substring(15).trim());
          }
        }
        char[] body = new char[length];
        int read = 0;
        while (read < length) {
          read += in.read(body, read, length - read);
        }
        bodies.add(new String(body));
      }
      assertThat(bodies.get(0)).contains("\"key\":\"first\"");
      assertThat(bodies.get(1)).isEqualTo("ok\n");
      assertThat(bodies.get(2)).contains("\"count\":1").doesNotContain("\"value\"");
    }
  }

  @Test
  void aPageOfAnotherOriginCannotWrite() throws Exception {
    long before = Etcd.get(cluster.kv(0), "x", false).getHeader().getRevision();
    String txn = "{\"success\":[{\"delete\":{\"key\":\"\",\"prefix\":true}}]}";
    HttpResponse<String> crossSite =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + cluster.httpAddress(0) + "/v1/txn"))
                .header("Content-Type", "application/json")
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(txn))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(crossSite.statusCode()).isEqualTo(403);
    // What a cross-site form can send without asking first: a text/plain POST.
    Answer form = send(0, "POST", "/v1/txn", "text/plain", txn.getBytes(StandardCharsets.UTF_8));
    assertThat(form.status()).isEqualTo(415);
    assertThat(Etcd.get(cluster.kv(0), "x", false).getHeader().getRevision())
        .as("nothing was written")
        .isEqualTo(before);
  }

  @Test
  void statusShowsEveryMemberAndOneLeaderOnEveryNode() throws Exception {
    cluster.awaitLeader();
    long leaderId = cluster.memberId(cluster.awaitLeader());
    Map<Long, String> names = new HashMap<>();
    for (JsonNode m : get(0, "/v1/members").json().get("members")) {
      names.put(m.get("id").asLong(), m.get("name").asText());
    }
    assertThat(names).hasSize(3);
    assertThat(names.values())
        .as("--name n<i> from the harness, in the replicated membership")
        .containsExactlyInAnyOrder("n0", "n1", "n2");
    for (int i = 0; i < 3; i++) {
      int node = i;
      assertThat(get(node, "/v1/status").json().at("/node/name").asText()).isEqualTo("n" + node);
      assertThat(names.get(cluster.memberId(node))).isEqualTo("n" + node);
      await()
          .atMost(CHANGE_BOUND)
          .untilAsserted(
              () -> {
                JsonNode status = get(node, "/v1/status").json();
                assertThat(status.at("/node/id").asLong()).isEqualTo(cluster.memberId(node));
                assertThat(status.at("/node/leader_id").asLong()).isEqualTo(leaderId);
                assertThat(status.at("/node/leader_name").asText()).isEqualTo(names.get(leaderId));
                assertThat(status.at("/node/applied_index").asLong()).isPositive();
                List<JsonNode> members = new ArrayList<>();
                status.get("members").forEach(members::add);
                assertThat(members).hasSize(3);
                assertThat(members)
                    .allSatisfy(m -> assertThat(m.get("healthy").asBoolean()).isTrue());
                assertThat(members)
                    .allSatisfy(
                        m ->
                            assertThat(m.get("name").asText())
                                .isEqualTo(names.get(m.get("id").asLong())));
                assertThat(members.stream().filter(m -> m.get("role").asText().equals("leader")))
                    .singleElement()
                    .satisfies(m -> assertThat(m.get("id").asLong()).isEqualTo(leaderId));
              });
    }
  }

  @Test
  void probesFollowTheClusterAsNodesDieAndReturn() throws Exception {
    int leader = cluster.awaitLeader();
    for (int i = 0; i < 3; i++) {
      Answer health = get(i, "/health");
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().get("health").asText()).isEqualTo("true");
      assertThat(get(i, "/readyz").body()).isEqualTo("ok\n");
      assertThat(get(i, "/livez").status()).isEqualTo(200);
    }
    int survivor = (leader + 1) % 3;
    int other = (leader + 2) % 3;
    cluster.kill9(leader);
    cluster.kill9(other);
    await()
        .atMost(CHANGE_BOUND)
        .untilAsserted(
            () -> {
              Answer health = get(survivor, "/health");
              assertThat(health.status()).isEqualTo(503);
              assertThat(health.json().get("health").asText()).isEqualTo("false");
              assertThat(health.json().get("reason").asText()).isNotEmpty();
            });
    assertThat(get(survivor, "/readyz").status()).isEqualTo(503);
    assertThat(get(survivor, "/livez").status()).as("alive, just not useful").isEqualTo(200);
    JsonNode status = get(survivor, "/v1/status").json();
    long unhealthy = 0;
    for (JsonNode m : status.get("members")) {
      if (!m.get("healthy").asBoolean()) {
        unhealthy++;
      }
    }
    assertThat(unhealthy).isEqualTo(3);

    cluster.restart(leader);
    await()
        .atMost(CHANGE_BOUND)
        .untilAsserted(() -> assertThat(get(survivor, "/health").status()).isEqualTo(200));
  }

  @Test
  void metricsAreValidPrometheusTextWithTheNodesSeries() throws Exception {
    int leader = cluster.awaitLeader();
    for (int i = 0; i < 20; i++) {
      put(i % 3, "/v1/kv/m" + i, "v");
    }
    Answer scrape = get(leader, "/metrics");
    assertThat(scrape.status()).isEqualTo(200);
    assertThat(scrape.contentType()).startsWith("text/plain; version=0.0.4");
    Map<String, Double> samples = PrometheusText.parse(scrape.body());

    assertThat(samples.get("ballot_raft_is_leader")).isEqualTo(1.0);
    assertThat(samples.get("ballot_raft_has_leader")).isEqualTo(1.0);
    assertThat(samples.get("ballot_raft_leader_id")).isEqualTo((double) cluster.memberId(leader));
    assertThat(samples.get("ballot_raft_term")).isPositive();
    assertThat(samples.get("ballot_raft_elections_won_total")).isGreaterThanOrEqualTo(0.0);
    assertThat(samples.get("ballot_raft_proposals_committed_total")).isGreaterThanOrEqualTo(20.0);
    assertThat(samples.get("ballot_raft_commit_duration_seconds_count"))
        .isGreaterThanOrEqualTo(20.0);
    assertThat(samples.get("ballot_log_fsync_duration_seconds_count")).isPositive();
    assertThat(samples.get("ballot_apply_entries_total")).isGreaterThanOrEqualTo(20.0);
    assertThat(samples.get("ballot_db_size_bytes")).isPositive();
    assertThat(samples.get("ballot_kv_revision")).isGreaterThanOrEqualTo(21.0);
    assertThat(samples.get("ballot_grpc_server_handled_total{code=\"OK\",method=\"KV/Put\"}"))
        .as("the puts through this node's HTTP port are client calls of its gRPC port")
        .isPositive();
    assertThat(samples.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
    assertThat(samples.keySet()).anyMatch(k -> k.startsWith("jvm_gc_"));
    await()
        .atMost(CHANGE_BOUND)
        .untilAsserted(
            () -> {
              Map<String, Double> now = PrometheusText.parse(get(leader, "/metrics").body());
              assertThat(
                      now.keySet().stream()
                          .filter(k -> k.startsWith("ballot_raft_follower_lag_entries{")))
                  .as("one lag series per follower, on the leader")
                  .hasSize(2);
            });
    Map<String, Double> follower = PrometheusText.parse(get((leader + 1) % 3, "/metrics").body());
    assertThat(follower.get("ballot_raft_is_leader")).isEqualTo(0.0);
    assertThat(follower.keySet()).noneMatch(k -> k.startsWith("ballot_raft_follower_lag_entries{"));
  }

  @Test
  void theEventStreamPushesStatusEverySecondAndEveryWrittenKey() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    HttpResponse<InputStream> stream =
        http.send(
            HttpRequest.newBuilder(URI.create("http://" + cluster.httpAddress(1) + "/v1/events"))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("content-type").orElse(""))
        .startsWith("text/event-stream");
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (Exception e) {
                // closed at the end of the test
              }
            });
    reader.setDaemon(true);
    reader.start();
    await().atMost(CHANGE_BOUND).until(() -> lines.contains("event: history"));
    Etcd.put(cluster.kv(2), "pushed/key", "secret-value");
    await()
        .atMost(CHANGE_BOUND)
        .untilAsserted(
            () -> {
              assertThat(lines).contains("event: write");
              assertThat(lines)
                  .anyMatch(l -> l.startsWith("data: ") && l.contains("\"key\":\"pushed/key\""));
              assertThat(lines.stream().filter(l -> l.equals("event: status")).count())
                  .isGreaterThanOrEqualTo(2);
            });
    assertThat(lines).noneMatch(l -> l.contains("secret-value"));
    for (String line : lines) {
      if (line.startsWith("data: ")) {
        JSON.readTree(line.substring(6)); // every event is one JSON object
      }
    }
    stream.body().close();
  }

  /**
   * A strict reader of Prometheus' text format 0.0.4: every line is a comment ({@code # HELP},
   * {@code # TYPE}) or a sample {@code name{labels} value}; every sample's family has a TYPE before
   * it; no series appears twice. Returns each series ("name{labels}" as written) and value.
   */
  static final class PrometheusText {
    private static final Pattern SAMPLE =
        Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\",?)*\\})?"
                + " (-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( -?[0-9]+)?");
    private static final Pattern TYPE =
        Pattern.compile(
            "# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    static Map<String, Double> parse(String text) {
      Map<String, Double> samples = new HashMap<>();
      Set<String> typed = new HashSet<>();
      assertThat(text).endsWith("\n");
      for (String line : text.split("\n")) {
        if (line.startsWith("# HELP ")) {
          continue;
        }
        if (line.startsWith("#")) {
          Matcher t = TYPE.matcher(line);
          assertThat(t.matches()).as("comment line: %s", line).isTrue();
          typed.add(t.group(1));
          continue;
        }
        Matcher m = SAMPLE.matcher(line);
        assertThat(m.matches()).as("sample line: %s", line).isTrue();
        String name = m.group(1);
        String family = name.replaceAll("_(bucket|count|sum|total|created|max)$", "");
        assertThat(
                typed.contains(name) || typed.contains(family) || typed.contains(family + "_total"))
            .as("a TYPE before %s", name)
            .isTrue();
        String series = name + (m.group(2) == null ? "" : m.group(2).replace(",}", "}"));
        assertThat(
                samples.put(
                    series,
                    Double.parseDouble(
                        m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity"))))
            .as("series %s twice", series)
            .isNull();
      }
      return samples;
    }
  }
}
