package dev.ballot.watch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.WatchCancelRequest;
import dev.ballot.etcd.api.WatchCreateRequest;
import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.etcd.api.WatchProgressRequest;
import dev.ballot.etcd.api.WatchRequest;
import dev.ballot.etcd.api.WatchResponse;
import dev.ballot.etcd.mvcc.Event;
import dev.ballot.kv.InMemoryKvEngine;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.proto.Command;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watch hub over real gRPC on a socket, fed by a real store (on the in-memory engine) that the
 * test applies commands to, as the apply thread does: events in revision order, each once, from the
 * past and live, under a slow reader, with filters, cancels, compaction and progress requests.
 */
class WatchHubTest {
  private KvStore store;
  private WatchHub hub;
  private Server server;
  private ManagedChannel channel;
  private long index;

  @BeforeEach
  void start() throws Exception {
    // Range deletes of more than 200 bytes go in parts, and to watchers through the history.
    store = KvStore.withDeleteParts(new InMemoryKvEngine(), 200);
    hub =
        new WatchHub(
            store,
            revision -> ResponseHeader.newBuilder().setRevision(revision).build(),
            Duration.ofMillis(200),
            1);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .directExecutor()
            .addService(new WatchService(hub))
            .build()
            .start();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .usePlaintext()
            // A small window, so that a slow reader makes the server's stream not ready soon.
            .flowControlWindow(64 * 1024)
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    hub.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    store.close();
  }

  @Test
  void aWatchFromNowGetsEachLaterRevisionOnceInOrder() throws Exception {
    put("a", "0");
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")).setRangeEnd(bytes("b")));
    assertThat(client.next().getCreated()).isTrue();

    for (int i = 1; i <= 50; i++) {
      put(i % 2 == 0 ? "a" + i : "x" + i, "v" + i); // x... is outside the range
    }
    delete("a");

    List<Event> events = client.events(26);
    assertThat(events)
        .extracting(e -> e.getKv().getModRevision())
        .isSorted()
        .doesNotHaveDuplicates();
    assertThat(events.get(0).getKv().getKey().toStringUtf8()).isEqualTo("a2");
    assertThat(events.get(25).getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(events.get(25).hasPrevKv()).as("prev_kv only when asked").isFalse();
  }

  @Test
  void aWatchFromThePastReplaysHistoryThenGoesLiveWithoutGapOrDuplicate() throws Exception {
    for (int i = 0; i < 300; i++) {
      put("k" + (i % 7), "v" + i);
    }
    Client client = new Client(true);
    client.create(
        WatchCreateRequest.newBuilder()
            .setKey(bytes("k"))
            .setRangeEnd(bytes("l"))
            .setStartRevision(10));
    Thread writer =
        new Thread(
            () -> {
              for (int i = 300; i < 600; i++) {
                put("k" + (i % 7), "v" + i);
              }
            });
    writer.start();
    writer.join();

    // Revisions 10..601: one event each, the write of revision r being "v" + (r - 2).
    List<Event> events = client.events(592);
    for (int i = 0; i < events.size(); i++) {
      long revision = 10 + i;
      assertThat(events.get(i).getKv().getModRevision()).isEqualTo(revision);
      assertThat(events.get(i).getKv().getValue().toStringUtf8()).isEqualTo("v" + (revision - 2));
    }
    assertThat(client.poll(300)).as("nothing more").isNull();
  }

  @Test
  void aReaderThatStopsReadingFallsBehindAndCatchesUpFromHistory() throws Exception {
    Client client = new Client(false);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("\0")).setRangeEnd(bytes("\0")));
    client.request(1);
    assertThat(client.next().getCreated()).isTrue();
    String big = "x".repeat(4096);
    // Far more than the flow-control window: the server's stream stops being ready.
    for (int i = 0; i < 2000; i++) {
      put("key" + (i % 50), big + i);
    }
    List<Event> events = new ArrayList<>();
    while (events.size() < 2000) {
      client.request(1);
      WatchResponse response = client.next();
      events.addAll(response.getEventsList());
    }
    for (int i = 0; i < 2000; i++) {
      assertThat(events.get(i).getKv().getModRevision()).isEqualTo(2 + i);
      assertThat(events.get(i).getKv().getValue().toStringUtf8()).isEqualTo(big + i);
    }
  }

  @Test
  void revisionsInstalledByASnapshotReachWatchersFromHistory() throws Exception {
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("s")).setRangeEnd(bytes("t")));
    client.next();
    put("s1", "before");
    assertThat(client.events(1).get(0).getKv().getModRevision()).isEqualTo(2);

    // A snapshot install writes many revisions at once without announcing them one by one.
    store.onChanges((revision, events) -> {});
    for (int i = 0; i < 30; i++) {
      put("s" + i, "installed" + i);
    }
    store.onChanges(hub);
    hub.replaced(store.revision());
    put("s1", "after");

    List<Event> events = client.events(31);
    assertThat(events)
        .extracting(e -> e.getKv().getModRevision())
        .isSorted()
        .doesNotHaveDuplicates();
    assertThat(events.get(0).getKv().getModRevision()).isEqualTo(3);
    assertThat(events.get(30).getKv().getValue().toStringUtf8()).isEqualTo("after");
  }

  @Test
  void filtersAndPrevKvShapeTheEvents() throws Exception {
    Client client = new Client(true);
    client.create(
        WatchCreateRequest.newBuilder()
            .setKey(bytes("a"))
            .setPrevKv(true)
            .addFilters(WatchCreateRequest.FilterType.NOPUT));
    client.next();
    put("a", "1");
    put("a", "2");
    delete("a");

    List<Event> events = client.events(1);
    assertThat(events.get(0).getType()).isEqualTo(Event.EventType.DELETE);
    assertThat(events.get(0).getPrevKv().getValue().toStringUtf8()).isEqualTo("2");
    assertThat(events.get(0).getKv().getModRevision()).isEqualTo(4);
  }

  @Test
  void aCompactedStartRevisionCancelsTheWatchWithTheCompactRevision() throws Exception {
    put("a", "1");
    put("a", "2");
    put("a", "3");
    compact(3);
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")).setStartRevision(2));

    assertThat(client.next().getCreated()).isTrue();
    WatchResponse cancelled = client.next();
    assertThat(cancelled.getCanceled()).isTrue();
    assertThat(cancelled.getCompactRevision()).isEqualTo(3);

    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")).setStartRevision(3));
    assertThat(client.next().getCreated()).isTrue();
    assertThat(client.events(2))
        .extracting(e -> e.getKv().getValue().toStringUtf8())
        .containsExactly("2", "3");
  }

  @Test
  void aCancelledWatchSendsNothingMoreAndIdsAreTheClientsOrFromZero() throws Exception {
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")));
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("b")).setWatchId(7));
    WatchResponse first = client.next();
    WatchResponse second = client.next();
    assertThat(first.getWatchId()).isEqualTo(0);
    assertThat(second.getWatchId()).isEqualTo(7);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("c")).setWatchId(7));
    WatchResponse duplicate = client.next();
    assertThat(duplicate.getCanceled()).isTrue();
    assertThat(duplicate.getCancelReason()).contains("duplicate watch ID");

    client.send(
        WatchRequest.newBuilder()
            .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(0))
            .build());
    WatchResponse cancelled = client.next();
    assertThat(cancelled.getCanceled()).isTrue();
    assertThat(cancelled.getWatchId()).isEqualTo(0);
    put("a", "1");
    put("b", "1");

    WatchResponse onlyB = client.next();
    assertThat(onlyB.getWatchId()).isEqualTo(7);
    assertThat(client.poll(300)).isNull();
  }

  @Test
  void aProgressRequestNamesTheRevisionEveryLaterEventExceeds() throws Exception {
    put("a", "1");
    put("a", "2");
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")).setStartRevision(2));
    client.next();
    client.events(2);
    client.send(
        WatchRequest.newBuilder()
            .setProgressRequest(WatchProgressRequest.getDefaultInstance())
            .build());
    WatchResponse progress = client.next();
    assertThat(progress.getWatchId()).isEqualTo(-1);
    assertThat(progress.getHeader().getRevision()).isEqualTo(3);
    assertThat(progress.getEventsCount()).isZero();
  }

  @Test
  void progressNotificationsComeWhileNothingChanges() throws Exception {
    Client client = new Client(true);
    client.create(WatchCreateRequest.newBuilder().setKey(bytes("a")).setProgressNotify(true));
    client.next();
    put("b", "1");
    WatchResponse progress = client.next();
    assertThat(progress.getEventsCount()).isZero();
    assertThat(progress.getWatchId()).isEqualTo(0);
    await().atMost(Duration.ofSeconds(5)).until(() -> store.revision() == 2);
  }

  @Test
  void aRevisionOverAMebibyteComesInFragmentsToWatchersThatAskAndWholeToOthers() throws Exception {
    Client fragmented = new Client(true);
    fragmented.create(
        WatchCreateRequest.newBuilder()
            .setKey(bytes("f"))
            .setRangeEnd(bytes("g"))
            .setFragment(true));
    assertThat(fragmented.next().getCreated()).isTrue();
    Client whole = new Client(true);
    whole.create(WatchCreateRequest.newBuilder().setKey(bytes("f")).setRangeEnd(bytes("g")));
    assertThat(whole.next().getCreated()).isTrue();

    // One revision of six 512 KiB values: 3 MiB, three times the size of a fragment.
    putAllInOneRevision("f", 6, 512 * 1024);
    List<WatchResponse> live = fragmented.untilLastFragment();
    assertFragmentsOfOneRevision(live, 2, 6);

    WatchResponse one = whole.next();
    assertThat(one.getFragment()).isFalse();
    assertThat(one.getEventsList())
        .extracting(e -> e.getKv().getKey().toStringUtf8())
        .containsExactly("f0", "f1", "f2", "f3", "f4", "f5");

    // The same revision read back from history is fragmented the same way.
    Client replay = new Client(true);
    replay.create(
        WatchCreateRequest.newBuilder()
            .setKey(bytes("f"))
            .setRangeEnd(bytes("g"))
            .setStartRevision(2)
            .setFragment(true));
    assertThat(replay.next().getCreated()).isTrue();
    assertFragmentsOfOneRevision(replay.untilLastFragment(), 2, 6);
    assertThat(replay.poll(300)).as("nothing more").isNull();
  }

  /**
   * Fragments of one revision: more than one, each but the last marked, none over about a
   * fragment's size plus one event, and together every event once, in the order of the revision.
   */
  private static void assertFragmentsOfOneRevision(
      List<WatchResponse> fragments, long revision, int events) {
    assertThat(fragments).hasSizeGreaterThan(1);
    for (int i = 0; i < fragments.size(); i++) {
      WatchResponse fragment = fragments.get(i);
      assertThat(fragment.getFragment())
          .as("fragment %d marked", i)
          .isEqualTo(i < fragments.size() - 1);
      assertThat(fragment.getEventsCount()).isPositive();
      assertThat(fragment.getSerializedSize()).isLessThan(WatchHub.MAX_RESPONSE_BYTES + 600 * 1024);
      assertThat(fragment.getHeader().getRevision()).isEqualTo(revision);
    }
    List<String> keys = new ArrayList<>();
    for (WatchResponse fragment : fragments) {
      for (Event event : fragment.getEventsList()) {
        assertThat(event.getKv().getModRevision()).isEqualTo(revision);
        keys.add(event.getKv().getKey().toStringUtf8());
      }
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < events; i++) {
      expected.add("f" + i);
    }
    assertThat(keys).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ helpers

  /** One transaction putting {@code count} keys {@code prefix0..} of {@code size} bytes each. */
  private void putAllInOneRevision(String prefix, int count, int size) {
    TxnRequest.Builder txn = TxnRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      txn.addSuccess(
          RequestOp.newBuilder()
              .setRequestPut(
                  PutRequest.newBuilder()
                      .setKey(bytes(prefix + i))
                      .setValue(ByteString.copyFrom(new byte[size]))));
    }
    apply(Command.newBuilder().setTxn(txn).build());
  }

  private void put(String key, String value) {
    apply(
        Command.newBuilder()
            .setPut(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)))
            .build());
  }

  private void delete(String key) {
    apply(
        Command.newBuilder()
            .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bytes(key)))
            .build());
  }

  @Test
  void aWatcherWhoseRevisionWouldNotFitIsCancelledWithTheReasonAndOthersGetItWhole()
      throws Exception {
    hub.maxRevisionBytes(4_000);
    for (int i = 0; i < 40; i++) {
      put(String.format("big/%02d", i), "v".repeat(100));
    }
    long before = store.revision();
    Client withPrev = new Client(true);
    withPrev.create(
        WatchCreateRequest.newBuilder()
            .setKey(bytes("big/"))
            .setRangeEnd(bytes("big0"))
            .setPrevKv(true)
            .setStartRevision(before));
    assertThat(withPrev.next().getCreated()).isTrue();
    Client plain = new Client(true);
    plain.create(WatchCreateRequest.newBuilder().setKey(bytes("big/")).setRangeEnd(bytes("big0")));
    assertThat(plain.next().getCreated()).isTrue();
    assertThat(withPrev.events(1).get(0).getKv().getModRevision()).isEqualTo(before);

    // 40 deletes with their previous values (about 5 KB) in one revision, written in parts.
    apply(
        Command.newBuilder()
            .setDeleteRange(
                DeleteRangeRequest.newBuilder().setKey(bytes("big/")).setRangeEnd(bytes("big0")))
            .build());

    List<Event> deletes = plain.events(40);
    assertThat(deletes).extracting(e -> e.getKv().getModRevision()).containsOnly(before + 1);
    assertThat(deletes).extracting(Event::getType).containsOnly(Event.EventType.DELETE);
    WatchResponse cancelled = withPrev.next();
    assertThat(cancelled.getCanceled()).isTrue();
    assertThat(cancelled.getCancelReason())
        .isEqualTo(
            "etcdserver: the events of revision "
                + (before + 1)
                + " come to more than 4000 bytes for this watcher; watch from revision "
                + (before + 2)
                + ", a narrower range or without prev_kv");
  }

  private void compact(long revision) {
    apply(
        Command.newBuilder()
            .setCompaction(CompactionRequest.newBuilder().setRevision(revision))
            .build());
  }

  private synchronized void apply(Command command) {
    assertThat(store.apply(++index, command).isOk()).isTrue();
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFrom(s, UTF_8);
  }

  /** One Watch call; reads automatically, or only as many responses as requested. */
  private final class Client {
    private final BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
    private final StreamObserver<WatchRequest> requests;
    private ClientCallStreamObserver<WatchRequest> call;

    Client(boolean autoRead) {
      requests =
          WatchGrpc.newStub(channel)
              .watch(
                  new ClientResponseObserver<WatchRequest, WatchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
                      call = stream;
                      if (!autoRead) {
                        stream.disableAutoRequestWithInitial(0);
                      }
                    }

                    @Override
                    public void onNext(WatchResponse value) {
                      responses.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {}
                  });
    }

    void create(WatchCreateRequest.Builder create) {
      send(WatchRequest.newBuilder().setCreateRequest(create).build());
    }

    void send(WatchRequest request) {
      requests.onNext(request);
    }

    void request(int count) {
      call.request(count);
    }

    WatchResponse next() throws InterruptedException {
      WatchResponse response = responses.poll(10, TimeUnit.SECONDS);
      assertThat(response).as("a response within 10 s").isNotNull();
      return response;
    }

    WatchResponse poll(long ms) throws InterruptedException {
      return responses.poll(ms, TimeUnit.MILLISECONDS);
    }

    /** The next responses up to and including the first that is not marked as a fragment. */
    List<WatchResponse> untilLastFragment() throws InterruptedException {
      List<WatchResponse> fragments = new ArrayList<>();
      WatchResponse response;
      do {
        response = next();
        assertThat(response.getCanceled()).as("cancelled: %s", response).isFalse();
        fragments.add(response);
      } while (response.getFragment());
      return fragments;
    }

    /** The events of the next responses until {@code count} arrived (exactly that many). */
    List<Event> events(int count) throws InterruptedException {
      List<Event> events = new ArrayList<>();
      while (events.size() < count) {
        WatchResponse response = next();
        assertThat(response.getCanceled()).as("cancelled: %s", response).isFalse();
        events.addAll(response.getEventsList());
      }
      assertThat(events).hasSize(count);
      return events;
    }
  }
}
