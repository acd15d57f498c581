package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ballot.client.BallotClient;
import dev.ballot.client.KeyValue;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.Watch;
import dev.ballot.client.WatchEvent;
import dev.ballot.client.WatchOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Watch through kvctl and the client library against a real cluster (kvserver, or etcd with {@code
 * -Dballot.it.server=etcd}): history from a past revision, then new writes; and the client's resume
 * when the node it watches through is killed while writes go on through the others.
 */
class WatchIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration EVENTS_WAIT = Duration.ofSeconds(60);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void prefixFromAPastRevisionThroughKvctlAndTheClientThenNewWrites() throws Exception {
    KvCluster cluster = clusters.start(3);
    try (BallotClient client = clientOfAll(cluster)) {
      long first = value(client.put("w/a", "1")).revision();
      value(client.put("wx", "outside"));
      long second = value(client.put("w/b", "2")).revision();
      long deleted = value(client.delete("w/a")).revision();
      long third = value(client.put("w/a", "3")).revision();

      KvctlIT.Run simple =
          kvctl(cluster, "watch", "w/", "--prefix", "--rev", "" + first, "--count", "4");
      assertThat(simple)
          .isEqualTo(
              new KvctlIT.Run(0, "PUT\nw/a\n1\nPUT\nw/b\n2\nDELETE\nw/a\n\nPUT\nw/a\n3\n", ""));

      KvctlIT.Run json =
          kvctl(
              cluster,
              "-w",
              "json",
              "watch",
              "w/",
              "--prefix",
              "--rev",
              "" + second,
              "--prev-kv",
              "--count",
              "3");
      assertThat(json.code()).isZero();
      List<JsonNode> events = new ArrayList<>();
      for (String line : json.out().split("\n")) {
        JsonNode response = JSON.readTree(line);
        assertThat(response.get("Header").get("revision").asLong()).isGreaterThanOrEqualTo(third);
        assertThat(response.get("Canceled").asBoolean()).isFalse();
        response.get("Events").forEach(events::add);
      }
      assertThat(events)
          .extracting(e -> e.path("type").asInt() + " " + base64(e.get("kv").get("key")))
          .containsExactly("0 w/b", "1 w/a", "0 w/a");
      assertThat(events)
          .extracting(e -> e.get("kv").get("mod_revision").asLong())
          .containsExactly(second, deleted, third);
      assertThat(base64(events.get(1).get("prev_kv").get("value"))).isEqualTo("1");
      assertThat(events.get(2).has("prev_kv")).isFalse();

      WatchRecorder recorder = new WatchRecorder();
      try (Watch watch =
          client.watch(
              WatchOptions.builder("w/").prefix().startRevision(first).build(), recorder)) {
        List<Long> expected = new ArrayList<>(List.of(first, second, deleted, third));
        for (int i = 0; i < 10; i++) {
          expected.add(value(client.put("w/new" + i, "v" + i)).revision());
          value(client.put("wy" + i, "outside"));
        }
        await().atMost(EVENTS_WAIT).until(() -> recorder.events().size() >= expected.size());
        assertThat(recorder.events()).extracting(WatchEvent::revision).isEqualTo(expected);
        assertThat(recorder.events().get(13).kv().valueString()).isEqualTo("v9");
        assertThat(recorder.failure()).isNull();
        assertThat(watch.nextRevision()).isEqualTo(expected.get(expected.size() - 1) + 1);
      }
    }
  }

  @Test
  void killingTheWatchedNodeWhileWritesGoOnElsewhereLosesAndRepeatsNoEvent() {
    KvCluster cluster = clusters.start(3);
    watchThroughFaults(
        cluster,
        "kw",
        new int[] {0, 1, 2},
        new int[] {1, 2},
        List.of(() -> cluster.kill9(0), () -> cluster.restart(0), () -> cluster.kill9(1)));
  }

  @Test
  void killingTheLeaderWhileAFollowerServesTheWatchLosesAndRepeatsNoEvent() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % 3;
    int other = (leader + 2) % 3;
    watchThroughFaults(
        cluster,
        "lk",
        new int[] {follower},
        new int[] {follower, other},
        List.of(() -> cluster.kill9(leader), () -> cluster.restart(leader)));
  }

  /**
   * Watches the prefix {@code name + "-"} through {@code watched} while a writer writes it through
   * {@code writers}; after 20 events, runs each fault in turn, waiting after each for 30 writes
   * acknowledged; then the events must be exactly the stored keys at their revisions, in revision
   * order, none twice, every acknowledged write among them.
   */
  private static void watchThroughFaults(
      KvCluster cluster, String name, int[] watched, int[] writers, List<Runnable> faults) {
    WatchRecorder recorder = new WatchRecorder();
    try (BallotClient watcher = client(cluster, watched);
        BallotClient writes = client(cluster, writers)) {
      Watch watch = watcher.watch(WatchOptions.builder(name + "-").prefix().build(), recorder);
      value(watch.created());
      ClientWriter writer = ClientWriter.start(writes, ClientCalls.REQUEST_TIMEOUT, name);
      await().atMost(EVENTS_WAIT).until(() -> recorder.events().size() >= 20);
      for (Runnable fault : faults) {
        fault.run();
        writer.awaitAckedStartedAfter(System.nanoTime(), 30, EVENTS_WAIT);
      }
      List<ClientWriter.Write> written = writer.stop();

      Map<String, Long> stored;
      try (BallotClient reader = client(cluster, writers)) {
        stored =
            value(reader.range(RangeOptions.builder(name + "-").prefix().build())).kvs().stream()
                .collect(Collectors.toMap(KeyValue::keyString, KeyValue::modRevision));
      }
      await()
          .atMost(EVENTS_WAIT)
          .until(() -> recorder.events().size() >= stored.size() || recorder.failure() != null);

      assertThat(recorder.failure()).isNull();
      List<WatchEvent> events = recorder.events();
      assertThat(events).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
      assertThat(events)
          .allSatisfy(e -> assertThat(e.type()).isEqualTo(WatchEvent.Type.PUT))
          .extracting(e -> e.kv().keyString() + "@" + e.revision())
          .containsExactlyInAnyOrderElementsOf(
              stored.entrySet().stream().map(e -> e.getKey() + "@" + e.getValue()).toList());
      assertThat(written)
          .filteredOn(w -> w.outcome() == ClientWriter.Outcome.ACKED)
          .allSatisfy(w -> assertThat(stored).containsEntry(w.key(), w.revision()));
      watch.close();
    }
  }

  private static KvctlIT.Run kvctl(KvCluster cluster, String... args) {
    String[] full = new String[args.length + 2];
    full[0] = "--endpoints";
    full[1] = cluster.clientEndpointsCsv();
    System.arraycopy(args, 0, full, 2, args.length);
    return KvctlIT.run(full);
  }

  private static String base64(JsonNode text) {
    return new String(Base64.getDecoder().decode(text.asText()), StandardCharsets.UTF_8);
  }

  /** Keeps every event a watch delivered, and how it ended. */
}
