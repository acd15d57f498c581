package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.fake.FakeEtcdServer;
import dev.ballot.client.fake.FakeHistory;
import dev.ballot.client.fake.FakeWatchServer;
import dev.ballot.etcd.api.WatchCreateRequest;
import io.grpc.Status;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's watch over fake etcd members that share one history: delivery in order, and resume
 * without a gap or a duplicate after a stream breaks mid-history, a member dies, or a member loses
 * its leader.
 */
class WatchResumeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final FakeHistory history = new FakeHistory();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  @Test
  void deliversHistoryFromTheStartRevisionThenNewEventsOfThePrefixOnly() {
    FakeWatchServer server = server(1, 2);
    history.put("job/a", "1");
    history.put("other", "x");
    long second = history.put("job/b", "2");
    history.delete("job/a");
    BallotClient client = client(server);
    RecordingListener listener = new RecordingListener();

    client.watch(WatchOptions.builder("job/").prefix().startRevision(second).build(), listener);
    history.put("job/c", "3");
    history.put("jobs", "outside");

    await().atMost(WAIT).until(() -> listener.events().size() == 3);
    assertThat(listener.events())
        .extracting(e -> e.type() + " " + e.kv().keyString() + "=" + e.kv().valueString())
        .containsExactly("PUT job/b=2", "DELETE job/a=", "PUT job/c=3");
    assertThat(listener.revisions()).containsExactly(3L, 4L, 5L);
    assertThat(listener.events()).allSatisfy(e -> assertThat(e.prevKv()).isEmpty());
    assertThat(listener.error()).isNull();
  }

  @Test
  void streamBreakInTheMiddleOfHistoryResumesAfterTheLastDeliveredEvent() {
    FakeWatchServer first = server(1, 2);
    FakeWatchServer second = server(2, 2);
    for (int i = 1; i <= 10; i++) {
      history.put("k" + i, "v" + i);
    }
    first.breakStreamsAfterEvents(4);
    BallotClient client = client(first, second);
    RecordingListener listener = new RecordingListener();

    Watch watch =
        client.watch(WatchOptions.builder("k").prefix().startRevision(1).build(), listener);
    await().atMost(WAIT).until(() -> listener.events().size() >= 10);
    history.put("k11", "v11");

    await().atMost(WAIT).until(() -> listener.events().size() >= 11);
    assertThat(listener.revisions()).containsExactlyElementsOf(range(1, 11));
    assertThat(first.creates())
        .extracting(WatchCreateRequest::getStartRevision)
        .containsExactly(1L);
    assertThat(second.creates())
        .extracting(WatchCreateRequest::getStartRevision)
        .containsExactly(5L);
    assertThat(watch.nextRevision()).isEqualTo(12);
  }

  @Test
  void killedMemberWhileWritesGoOnLosesAndRepeatsNothing() {
    FakeWatchServer first = server(1, 3);
    FakeWatchServer second = server(2, 3);
    history.put("before", "not wanted");
    BallotClient client = client(first, second);
    RecordingListener listener = new RecordingListener();

    Watch watch = client.watch(WatchOptions.builder("").prefix().build(), listener);
    long createdAt = watch.created().orTimeout(5, TimeUnit.SECONDS).join();
    for (int i = 0; i < 5; i++) {
      history.put("w" + i, "v");
    }
    await().atMost(WAIT).until(() -> listener.events().size() == 5);
    first.kill();
    for (int i = 5; i < 10; i++) {
      history.put("w" + i, "v");
    }

    await().atMost(WAIT).until(() -> listener.events().size() >= 10);
    assertThat(createdAt).isEqualTo(1);
    assertThat(listener.revisions()).containsExactlyElementsOf(range(2, 11));
    assertThat(second.creates())
        .extracting(WatchCreateRequest::getStartRevision)
        .containsExactly(7L);
  }

  @Test
  void memberWithoutLeaderMovesEveryWatchToTheNextMember() {
    FakeWatchServer first = server(1, 3);
    FakeWatchServer second = server(2, 3);
    BallotClient client = client(first, second);
    RecordingListener keys = new RecordingListener();
    RecordingListener one = new RecordingListener();
    client.watch(WatchOptions.builder("a").prefix().startRevision(1).build(), keys);
    client.watch(WatchOptions.builder("b").startRevision(1).build(), one);
    history.put("a1", "x");
    history.put("b", "y");
    await().atMost(WAIT).until(() -> keys.events().size() == 1 && one.events().size() == 1);

    first.loseLeader();
    history.put("a2", "x");
    history.put("b", "z");

    await().atMost(WAIT).until(() -> keys.events().size() >= 2 && one.events().size() >= 2);
    assertThat(keys.revisions()).containsExactly(1L, 3L);
    assertThat(one.revisions()).containsExactly(2L, 4L);
    assertThat(first.streamsOpened()).isEqualTo(1);
    assertThat(second.streamsOpened()).isEqualTo(1);
    assertThat(second.creates())
        .extracting(WatchCreateRequest::getStartRevision)
        .containsExactly(2L, 3L);
    assertThat(keys.error()).isNull();
    assertThat(one.error()).isNull();
  }

  @Test
  void watchesOfOneClientShareOneStream() {
    FakeWatchServer server = server(1, 3);
    BallotClient client = client(server);
    List<RecordingListener> listeners = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      RecordingListener listener = new RecordingListener();
      listeners.add(listener);
      client.watch(WatchOptions.builder("k" + i).build(), listener).created().join();
    }
    for (int i = 0; i < 5; i++) {
      history.put("k" + i, "v");
    }

    await().atMost(WAIT).until(() -> listeners.stream().allMatch(l -> l.events().size() == 1));
    assertThat(server.streamsOpened()).isEqualTo(1);
    for (int i = 0; i < 5; i++) {
      assertThat(listeners.get(i).events().get(0).kv().keyString()).isEqualTo("k" + i);
    }
  }

  @Test
  void compactedStartRevisionEndsTheWatchNamingTheCompactRevision() {
    FakeWatchServer server = server(1, 3);
    for (int i = 1; i <= 6; i++) {
      history.put("k", "v" + i);
    }
    history.compact(5);
    BallotClient client = client(server);
    RecordingListener listener = new RecordingListener();

    client.watch(WatchOptions.builder("k").startRevision(2).build(), listener);
    history.put("k", "after");

    await().atMost(WAIT).until(() -> listener.compactRevision() != 0);
    assertThat(listener.compactRevision()).isEqualTo(5);
    assertThat(listener.compactRequested()).isEqualTo(2);
    assertThat(listener.events()).isEmpty();
    assertThat(server.cancels()).isEmpty();
  }

  @Test
  void compactionByDefaultReachesOnErrorAsWatchCompactedException() {
    FakeWatchServer server = server(1, 3);
    history.put("k", "v1");
    history.put("k", "v2");
    history.compact(2);
    BallotClient client = client(server);
    List<BallotException> errors = new ArrayList<>();

    client.watch(
        WatchOptions.builder("k").startRevision(1).build(),
        new WatchListener() {
          @Override
          public void onEvents(WatchBatch batch) {}

          @Override
          public synchronized void onError(BallotException failure) {
            errors.add(failure);
          }
        });

    await().atMost(WAIT).until(() -> !List.copyOf(errors).isEmpty());
    assertThat(errors.get(0))
        .isInstanceOf(WatchCompactedException.class)
        .hasMessage(
            "watch cancelled: revision 1 has been compacted; the oldest revision kept is 2");
    assertThat(((WatchCompactedException) errors.get(0)).compactRevision()).isEqualTo(2);
  }

  @Test
  void closeCancelsTheWatchOnTheServerAndStopsDelivery() {
    FakeWatchServer server = server(1, 3);
    BallotClient client = client(server);
    RecordingListener listener = new RecordingListener();
    Watch watch = client.watch(WatchOptions.builder("k").build(), listener);
    RecordingListener other = new RecordingListener();
    client.watch(WatchOptions.builder("k").build(), other).created().join();
    watch.created().join();
    history.put("k", "1");
    await().atMost(WAIT).until(() -> listener.events().size() == 1);

    watch.close();
    await().atMost(WAIT).until(() -> server.cancels().size() == 1);
    history.put("k", "2");

    await().atMost(WAIT).until(() -> other.events().size() == 2);
    assertThat(listener.events()).hasSize(1);
    assertThat(server.cancels()).containsExactly(0L);
  }

  @Test
  void optionsBecomeTheCreateRequest() {
    FakeWatchServer server = server(1, 3);
    BallotClient client = client(server);
    client
        .watch(
            WatchOptions.builder("a").prefix().startRevision(7).prevKv().noDelete().build(),
            new RecordingListener())
        .created()
        .join();
    client
        .watch(
            WatchOptions.builder("m").rangeEnd(Bytes.utf8("p")).noPut().progressNotify().build(),
            new RecordingListener())
        .created()
        .join();

    WatchCreateRequest prefixed = server.creates().get(0);
    assertThat(prefixed.getKey().toStringUtf8()).isEqualTo("a");
    assertThat(prefixed.getRangeEnd().toStringUtf8()).isEqualTo("b");
    assertThat(prefixed.getStartRevision()).isEqualTo(7);
    assertThat(prefixed.getPrevKv()).isTrue();
    assertThat(prefixed.getFiltersList()).containsExactly(WatchCreateRequest.FilterType.NODELETE);
    WatchCreateRequest ranged = server.creates().get(1);
    assertThat(ranged.getRangeEnd().toStringUtf8()).isEqualTo("p");
    assertThat(ranged.getFiltersList()).containsExactly(WatchCreateRequest.FilterType.NOPUT);
    assertThat(ranged.getProgressNotify()).isTrue();
  }

  @Test
  void prevKvGivesTheKeyValueBeforeEachEvent() {
    FakeWatchServer server = server(1, 3);
    history.put("k", "old");
    long put = history.put("k", "new");
    history.delete("k");
    BallotClient client = client(server);
    RecordingListener listener = new RecordingListener();

    client.watch(WatchOptions.builder("k").startRevision(put).prevKv().build(), listener);

    await().atMost(WAIT).until(() -> listener.events().size() == 2);
    WatchEvent update = listener.events().get(0);
    WatchEvent delete = listener.events().get(1);
    assertThat(update.prevKv()).map(KeyValue::valueString).contains("old");
    assertThat(update.kv().version()).isEqualTo(2);
    assertThat(delete.type()).isEqualTo(WatchEvent.Type.DELETE);
    assertThat(delete.prevKv()).map(KeyValue::valueString).contains("new");
  }

  @Test
  void unreachableClusterEndsTheWatchWithUnavailableAfterTheRequestTimeout() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    BallotClient client =
        BallotClient.builder()
            .endpoints("127.0.0.1:" + port)
            .requestTimeout(Duration.ofSeconds(1))
            .build();
    toClose.add(client);
    RecordingListener listener = new RecordingListener();

    Watch watch = client.watch(WatchOptions.builder("k").build(), listener);

    await().atMost(WAIT).until(() -> listener.error() != null);
    assertThat(listener.error())
        .isInstanceOf(UnavailableException.class)
        .hasMessageStartingWith("no endpoint could create the watch within 1s: 127.0.0.1:" + port);
    assertThat(watch.created()).isCompletedExceptionally();
  }

  @Test
  void serverWithoutWatchEndsTheWatchAtOnceInsteadOfRetrying() {
    FakeEtcdServer kvOnly = FakeEtcdServer.start();
    toClose.add(kvOnly);
    BallotClient client = BallotClient.builder().endpoints(kvOnly.endpoint()).build();
    toClose.add(client);
    RecordingListener listener = new RecordingListener();

    client.watch(WatchOptions.builder("k").build(), listener);

    await().atMost(Duration.ofSeconds(3)).until(() -> listener.error() != null);
    assertThat(listener.error().code()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void listenerThatThrowsEndsItsWatchWithTheCause() {
    FakeWatchServer server = server(1, 3);
    BallotClient client = client(server);
    List<BallotException> errors = new ArrayList<>();
    RuntimeException bug = new IllegalStateException("listener bug");
    Watch watch =
        client.watch(
            WatchOptions.builder("k").build(),
            new WatchListener() {
              @Override
              public void onEvents(WatchBatch batch) {
                throw bug;
              }

              @Override
              public synchronized void onError(BallotException failure) {
                errors.add(failure);
              }
            });
    RecordingListener other = new RecordingListener();
    client.watch(WatchOptions.builder("k").build(), other).created().join();
    watch.created().join();

    history.put("k", "v1");
    await().atMost(WAIT).until(() -> server.cancels().size() == 1);
    history.put("k", "v2");

    await().atMost(WAIT).until(() -> other.events().size() == 2);
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0)).hasCause(bug);
  }

  @Test
  void watchOfAClosedClientFailsWithoutCallingTheListener() {
    FakeWatchServer server = server(1, 3);
    BallotClient client = client(server);
    client.close();
    RecordingListener listener = new RecordingListener();

    Watch watch = client.watch(WatchOptions.builder("k").build(), listener);

    assertThat(watch.created()).isCompletedExceptionally();
    assertThat(listener.error()).isNull();
    assertThat(server.streamsOpened()).isZero();
  }

  private FakeWatchServer server(long memberId, int maxEventsPerResponse) {
    FakeWatchServer server = FakeWatchServer.start(history, memberId, maxEventsPerResponse);
    toClose.add(server);
    return server;
  }

  private BallotClient client(FakeWatchServer... servers) {
    BallotClient client =
        BallotClient.builder()
            .endpoints(List.of(servers).stream().map(FakeWatchServer::endpoint).toList())
            .requestTimeout(Duration.ofSeconds(5))
            .build();
    toClose.add(client);
    return client;
  }

  private static List<Long> range(long first, long last) {
    return LongStream.rangeClosed(first, last).boxed().toList();
  }
}
