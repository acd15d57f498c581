package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.BallotClient;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.RangeResult;
import dev.ballot.client.Watch;
import dev.ballot.client.WatchEvent;
import dev.ballot.client.WatchOptions;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A prefix delete of many parts of the apply (512 KiB of keys and values, or one larger key),
 * through Debian's etcdctl against real kvserver processes: one revision on every node, every key's
 * event to a watcher, and the cluster writes on after it.
 */
class LargeDeleteIT {
  private static final int KEYS = 24;
  private static final int VALUE_BYTES = 1 << 20;

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void aPrefixDeleteOfMoreThanOnePartIsOneRevisionEverywhereAndItsWatcherGetsEveryKey()
      throws Exception {
    Etcdctl.requireInstalled();
    KvCluster cluster = clusters.start(3);
    try (BallotClient client = clientOfAll(cluster)) {
      String big = "v".repeat(VALUE_BYTES);
      for (int i = 0; i < KEYS; i++) {
        value(client.put(String.format("big/%02d", i), big), Duration.ofSeconds(30));
      }
      long before = value(client.put("other", "stays")).revision();

      WatchRecorder recorder = new WatchRecorder();
      try (Watch watch = client.watch(WatchOptions.builder("big/").prefix().build(), recorder)) {
        value(watch.created());
        Etcdctl etcdctl =
            new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
        Etcdctl.Result deleted = etcdctl.run("del", "--prefix", "big/").requireSuccess();
        assertThat(deleted.stdout().trim()).isEqualTo(Integer.toString(KEYS));

        await().atMost(Duration.ofSeconds(60)).until(() -> recorder.events().size() >= KEYS);
        List<WatchEvent> events = recorder.events();
        assertThat(events).hasSize(KEYS);
        assertThat(events).allSatisfy(e -> assertThat(e.type()).isEqualTo(WatchEvent.Type.DELETE));
        assertThat(events).extracting(WatchEvent::revision).containsOnly(before + 1);
        assertThat(events)
            .extracting(e -> e.kv().keyString())
            .isEqualTo(
                java.util.stream.IntStream.range(0, KEYS)
                    .mapToObj(i -> String.format("big/%02d", i))
                    .toList());
        assertThat(recorder.failure()).isNull();
      }

      // Every node applied it whole, as one revision, in parts.
      for (int node = 0; node < 3; node++) {
        try (BallotClient one = client(cluster, node)) {
          await()
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> {
                    RangeResult all =
                        value(one.range(RangeOptions.builder("").fromKey().serializable().build()));
                    return all.revision() == before + 1
                        && all.kvs().size() == 1
                        && all.kvs().get(0).keyString().equals("other");
                  });
        }
        int n = node;
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    Files.readString(cluster.logFile(n))
                        .contains("range delete written in parts index="));
      }
      assertThat(value(client.put("big/00", "again")).revision()).isEqualTo(before + 2);
    }
  }
}
