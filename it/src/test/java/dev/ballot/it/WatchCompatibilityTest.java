package dev.ballot.it;

import static dev.ballot.it.Jetcd.await;
import static dev.ballot.it.Jetcd.bytes;
import static dev.ballot.it.Jetcd.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.etcd.jetcd.watch.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's Watch through jetcd 0.8 and etcdctl 3.4: events of a key and a prefix, live and replayed
 * from an older revision, prev_kv, the NOPUT/NODELETE filters, cancel, a compacted start revision,
 * progress requests. Run with {@code -Dballot.it.server=etcd} to check against etcd 3.4. Tests run
 * one at a time and each owns a key prefix; a compaction only covers revisions its test wrote.
 */
class WatchCompatibilityTest {
  private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;
  private static KV kv;
  private static Watch watch;
  private static Etcdctl etcdctl;

  @BeforeAll
  static void startCluster() {
    Etcdctl.requireInstalled();
    cluster = clusters.start(3);
    client = Jetcd.client(cluster);
    kv = client.getKVClient();
    watch = client.getWatchClient();
    etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void watchOfAKeySeesItsPutsAndDeleteInOrderWithThePreviousValues() {
    Recorder recorder = new Recorder();
    try (Watch.Watcher watcher =
        watch.watch(bytes("wk/k"), fromNextRevision().withPrevKV(true).build(), recorder)) {
      long r1 = putRevision("wk/k", "v1");
      long r2 = putRevision("wk/k", "v2");
      putRevision("wk/other", "not watched");
      long r3 = await(kv.delete(bytes("wk/k"))).getHeader().getRevision();

      List<WatchEvent> events = recorder.awaitEvents(3);
      assertThat(events)
          .extracting(WatchEvent::getEventType)
          .containsExactly(EventType.PUT, EventType.PUT, EventType.DELETE);
      assertThat(events).extracting(e -> text(e.getKeyValue().getKey())).containsOnly("wk/k");
      assertThat(events)
          .extracting(e -> e.getKeyValue().getModRevision())
          .containsExactly(r1, r2, r3);
      assertThat(text(events.get(0).getKeyValue().getValue())).isEqualTo("v1");
      assertThat(events.get(0).getKeyValue().getVersion()).isEqualTo(1);
      assertThat(events.get(0).getPrevKV().getKey().isEmpty())
          .as("a created key has no previous value")
          .isTrue();
      assertThat(text(events.get(1).getKeyValue().getValue())).isEqualTo("v2");
      assertThat(events.get(1).getKeyValue().getCreateRevision()).isEqualTo(r1);
      assertThat(text(events.get(1).getPrevKV().getValue())).isEqualTo("v1");
      assertThat(events.get(2).getKeyValue().getValue().isEmpty()).isTrue();
      assertThat(events.get(2).getKeyValue().getVersion()).isZero();
      assertThat(text(events.get(2).getPrevKV().getValue())).isEqualTo("v2");
      assertThat(recorder.error()).isNull();
    }
  }

  @Test
  void watchOfAPrefixFromAnOlderRevisionReplaysHistoryThenGoesLive() {
    long r1 = putRevision("wp/a", "1");
    putRevision("wp/b", "2");
    putRevision("wq", "outside the prefix");
    long r4 = putRevision("wp/a", "3");

    Recorder recorder = new Recorder();
    try (Watch.Watcher watcher =
        watch.watch(
            bytes("wp/"),
            WatchOption.builder().isPrefix(true).withRevision(r1).build(),
            recorder)) {
      List<WatchEvent> replayed = recorder.awaitEvents(3);
      assertThat(replayed)
          .extracting(e -> text(e.getKeyValue().getKey()) + "=" + text(e.getKeyValue().getValue()))
          .containsExactly("wp/a=1", "wp/b=2", "wp/a=3");
      assertThat(replayed.get(2).getKeyValue().getModRevision()).isEqualTo(r4);
      assertThat(replayed.get(2).getKeyValue().getVersion()).isEqualTo(2);

      long r5 = putRevision("wp/c", "live");
      List<WatchEvent> all = recorder.awaitEvents(4);
      assertThat(text(all.get(3).getKeyValue().getKey())).isEqualTo("wp/c");
      assertThat(all.get(3).getKeyValue().getModRevision()).isEqualTo(r5);
    }
  }

  @Test
  void noPutAndNoDeleteFiltersDropThoseEvents() {
    Recorder deletesOnly = new Recorder();
    Recorder putsOnly = new Recorder();
    try (Watch.Watcher noPut =
            watch.watch(bytes("wf/k"), fromNextRevision().withNoPut(true).build(), deletesOnly);
        Watch.Watcher noDelete =
            watch.watch(bytes("wf/k"), fromNextRevision().withNoDelete(true).build(), putsOnly)) {
      putRevision("wf/k", "1");
      long deleted = await(kv.delete(bytes("wf/k"))).getHeader().getRevision();
      long last = putRevision("wf/k", "2");

      List<WatchEvent> puts = putsOnly.awaitEvents(2);
      assertThat(puts).extracting(WatchEvent::getEventType).containsOnly(EventType.PUT);
      assertThat(puts.get(1).getKeyValue().getModRevision()).isEqualTo(last);
      List<WatchEvent> deletes = deletesOnly.awaitEvents(1);
      assertThat(deletes).extracting(WatchEvent::getEventType).containsExactly(EventType.DELETE);
      assertThat(deletes.get(0).getKeyValue().getModRevision()).isEqualTo(deleted);
    }
    assertThat(putsOnly.events()).hasSize(2);
    assertThat(deletesOnly.events()).hasSize(1);
  }

  @Test
  void aCancelledWatchSeesNoLaterEvent() {
    Recorder cancelled = new Recorder();
    Watch.Watcher watcher = watch.watch(bytes("wc/k"), fromNextRevision().build(), cancelled);
    putRevision("wc/k", "before");
    cancelled.awaitEvents(1);
    watcher.close();

    // A watch opened after the cancel sees the next put; by then the cancelled one would have too.
    Recorder later = new Recorder();
    try (Watch.Watcher next = watch.watch(bytes("wc/k"), fromNextRevision().build(), later)) {
      long after = putRevision("wc/k", "after");
      assertThat(later.awaitEvents(1).get(0).getKeyValue().getModRevision()).isEqualTo(after);
    }
    assertThat(cancelled.events()).hasSize(1);
    assertThat(text(cancelled.events().get(0).getKeyValue().getValue())).isEqualTo("before");
  }

  @Test
  void aWatchFromACompactedRevisionIsCancelledWithTheCompactRevision() {
    long r1 = putRevision("wz/k", "1");
    putRevision("wz/k", "2");
    long r3 = putRevision("wz/k", "3");

    // Compact and watch through one member: a compaction answers once the member that served it
    // has applied it, and a watch opened on a member still behind would replay the history (as in
    // etcd).
    try (Client one = Jetcd.clientOf(cluster, 0)) {
      await(one.getKVClient().compact(r3));
      Recorder recorder = new Recorder();
      try (Watch.Watcher watcher =
          one.getWatchClient()
              .watch(bytes("wz/k"), WatchOption.builder().withRevision(r1).build(), recorder)) {
        await().atMost(EVENT_TIMEOUT).until(() -> recorder.error() != null);
        assertThat(recorder.error()).isInstanceOf(CompactedException.class);
        assertThat(((CompactedException) recorder.error()).getCompactedRevision()).isEqualTo(r3);
        assertThat(recorder.events()).isEmpty();
      }
    }
  }

  @Test
  void aProgressRequestAnswersWithTheCurrentRevision() {
    Recorder recorder = new Recorder();
    try (Watch.Watcher watcher = watch.watch(bytes("wr/quiet"), recorder)) {
      long current = putRevision("wr/elsewhere", "x");
      await()
          .atMost(EVENT_TIMEOUT)
          .failFast("the watch failed", () -> assertThat(recorder.error()).isNull())
          .untilAsserted(
              () -> {
                watcher.requestProgress();
                assertThat(recorder.progressRevisions()).isNotEmpty().last().isEqualTo(current);
              });
      assertThat(recorder.events()).isEmpty();
    }
  }

  @Test
  void etcdctlWatchPrintsEachPutFromAnotherEtcdctl() {
    List<String> written = new ArrayList<>();
    try (Etcdctl.Background watcher = etcdctl.start("watch", "ctlw/k")) {
      // A watch prints nothing when it is created: put until one put arrives after it.
      await()
          .atMost(EVENT_TIMEOUT)
          .failFast(
              "etcdctl watch ended",
              () -> assertThat(watcher.isRunning()).as(watcher::toString).isTrue())
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                String value = "v" + written.size();
                etcdctl.run("put", "ctlw/k", value).requireSuccess();
                written.add(value);
                assertThat(watcher.stdout()).as(watcher.toString()).contains("PUT\n");
              });
      etcdctl.run("del", "ctlw/k").requireSuccess();
      await().atMost(EVENT_TIMEOUT).until(() -> watcher.stdout().endsWith("DELETE\nctlw/k\n\n"));
      String out = watcher.stdout();
      String puts = out.substring(0, out.length() - "DELETE\nctlw/k\n\n".length());
      String[] lines = puts.split("\n");
      assertThat(lines.length % 3).as(out).isZero();
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < lines.length; i += 3) {
        assertThat(lines[i]).isEqualTo("PUT");
        assertThat(lines[i + 1]).isEqualTo("ctlw/k");
        seen.add(lines[i + 2]);
      }
      assertThat(seen).isNotEmpty();
      assertThat(written).endsWith(seen.toArray(String[]::new));
    }
  }

  @Test
  void etcdctlWatchFromARevisionPrintsTheEventsSinceAndTheirPreviousValues() throws Exception {
    long first = etcdctlPutRevision("ctlr/k", "1");
    etcdctlPutRevision("ctlr/k", "2");
    etcdctl.run("del", "ctlr/k").requireSuccess();
    String expected = "PUT\nctlr/k\n1\nPUT\nctlr/k\n2\nDELETE\nctlr/k\n\n";
    try (Etcdctl.Background watcher = etcdctl.start("watch", "--rev=" + first, "ctlr/k")) {
      await()
          .atMost(EVENT_TIMEOUT)
          .failFast(
              "etcdctl watch ended",
              () -> assertThat(watcher.isRunning()).as(watcher::toString).isTrue())
          .until(() -> watcher.stdout().equals(expected));
    }
    String withPrevKv = "PUT\nctlr/k\n1\nPUT\nctlr/k\n1\nctlr/k\n2\nDELETE\nctlr/k\n2\nctlr/k\n\n";
    try (Etcdctl.Background watcher =
        etcdctl.start("watch", "--prefix", "--prev-kv", "--rev=" + first, "ctlr/")) {
      await()
          .atMost(EVENT_TIMEOUT)
          .failFast(
              "etcdctl watch ended",
              () -> assertThat(watcher.isRunning()).as(watcher::toString).isTrue())
          .until(() -> watcher.stdout().equals(withPrevKv));
    }
  }

  @Test
  void etcdctlWatchFromACompactedRevisionSaysSoAndExits() throws Exception {
    long first = etcdctlPutRevision("ctlz/k", "1");
    long second = etcdctlPutRevision("ctlz/k", "2");
    etcdctl.run("compaction", Long.toString(second)).requireSuccess();
    try (Etcdctl.Background watcher = etcdctl.start("watch", "--rev=" + first, "ctlz/k")) {
      assertThat(watcher.awaitExit()).isNotZero();
      assertThat(watcher.stdout() + watcher.stderr())
          .contains("watch was canceled (etcdserver: mvcc: required revision has been compacted)");
    }
  }

  private static long putRevision(String key, String value) {
    return await(kv.put(bytes(key), bytes(value))).getHeader().getRevision();
  }

  private static long etcdctlPutRevision(String key, String value) throws Exception {
    String json = etcdctl.run("put", key, value, "-w", "json").requireSuccess().stdout();
    return JSON.readTree(json).get("header").get("revision").asLong();
  }

  /**
   * Options for a watch that starts right after the current revision. jetcd's {@code watch} returns
   * before the server has created the watch, so a watch without a start revision can miss a put
   * made right after it (etcd does the same); one pinned to the next revision cannot.
   */
  private WatchOption.Builder fromNextRevision() {
    long head = await(kv.get(bytes("w"))).getHeader().getRevision();
    return WatchOption.builder().withRevision(head + 1);
  }

  /** What one watch received: its events in order, progress notifications, its error. */
  private static final class Recorder implements Watch.Listener {
    private final List<WatchEvent> events = new CopyOnWriteArrayList<>();
    private final List<Long> progressRevisions = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public void onNext(WatchResponse response) {
      if (response.isProgressNotify()) {
        progressRevisions.add(response.getHeader().getRevision());
      }
      events.addAll(response.getEvents());
    }

    @Override
    public void onError(Throwable throwable) {
      error.compareAndSet(null, throwable);
    }

    @Override
    public void onCompleted() {}

    List<WatchEvent> events() {
      return List.copyOf(events);
    }

    List<Long> progressRevisions() {
      return List.copyOf(progressRevisions);
    }

    Throwable error() {
      return error.get();
    }

    /** The first {@code count} events, once they arrived; no more may have arrived with them. */
    List<WatchEvent> awaitEvents(int count) {
      await().atMost(EVENT_TIMEOUT).until(() -> events.size() >= count || error.get() != null);
      assertThat(error.get()).as("the watch failed").isNull();
      assertThat(events).hasSize(count);
      return events();
    }
  }
}
