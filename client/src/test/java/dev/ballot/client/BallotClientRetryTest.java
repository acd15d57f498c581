package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.fake.FakeEtcdServer;
import dev.ballot.client.fake.FakeStore;
import dev.ballot.client.fake.Fault;
import io.grpc.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failover and the retry policy: what is repeated, where, and what is never repeated. */
class BallotClientRetryTest {
  private final FakeStore store = new FakeStore();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private FakeEtcdServer member(long id) {
    store.setLeaderId(1);
    FakeEtcdServer server = FakeEtcdServer.start(store, id);
    resources.add(server);
    return server;
  }

  private BallotClient client(Duration timeout, String... endpoints) {
    BallotClient client =
        BallotClient.builder()
            .endpoints(endpoints)
            .requestTimeout(timeout)
            .connectTimeout(Duration.ofSeconds(1))
            .build();
    resources.add(client);
    return client;
  }

  /** Connects to every member first, so that a fault meets a request that was really sent. */
  private static void warmUp(BallotClient client, FakeEtcdServer... servers) {
    for (FakeEtcdServer server : servers) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> client.status(server.endpoint()).join() != null);
    }
  }

  private static Throwable failure(CompletableFuture<?> future) {
    assertThatThrownBy(future::join).hasCauseInstanceOf(BallotException.class);
    return future.handle((value, error) -> error.getCause()).join();
  }

  @Test
  void failsOverToTheSecondEndpointWhenTheFirstIsDown() {
    FakeEtcdServer second = member(2);
    BallotClient client =
        client(Duration.ofSeconds(5), FakeEtcdServer.unusedEndpoint(), second.endpoint());

    client.put("k", "v").join();
    assertThat(client.get("k").join().orElseThrow().valueString()).isEqualTo("v");

    assertThat(second.calls("Put")).isEqualTo(1);
    assertThat(second.calls("Range")).isEqualTo(1);
  }

  @Test
  void sticksToTheEndpointThatWorks() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("Range", new Fault.Fail(Status.UNAVAILABLE.withDescription("going away")), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    for (int i = 0; i < 3; i++) {
      client.get("k").join();
    }

    assertThat(first.calls("Range")).isEqualTo(1);
    assertThat(second.calls("Range")).isEqualTo(3);
  }

  @Test
  void writeTimingOutIsOutcomeUnknownAndNotRetried() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("Put", new Fault.Hang(), 1);
    BallotClient client = client(Duration.ofMillis(500), first.endpoint(), second.endpoint());
    warmUp(client, first, second);

    Throwable error = failure(client.put("k", "v"));

    assertThat(error).isInstanceOf(OutcomeUnknownException.class);
    assertThat(((BallotException) error).code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(first.calls("Put")).isEqualTo(1);
    assertThat(second.calls("Put")).isZero();
  }

  @Test
  void requestsAfterATimeoutStartAtTheNextEndpoint() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("Put", new Fault.Hang(), 1);
    BallotClient client = client(Duration.ofMillis(500), first.endpoint(), second.endpoint());
    warmUp(client, first, second);
    failure(client.put("k", "v"));

    client.get("k").join();

    assertThat(first.calls("Range")).isZero();
    assertThat(second.calls("Range")).isEqualTo(1);
  }

  @Test
  void anEndpointThatTimedOutIsSkippedWhenTheNextOneRefuses() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    FakeEtcdServer third = member(3);
    first.inject("Put", new Fault.Hang(), 1);
    BallotClient client =
        client(Duration.ofMillis(500), first.endpoint(), second.endpoint(), third.endpoint());
    warmUp(client, first, second, third);
    assertThat(failure(client.put("k", "v"))).isInstanceOf(OutcomeUnknownException.class);

    second.inject("Put", Fault.noLeader(), 1);
    client.put("k", "w").join();

    assertThat(first.calls("Put")).as("the frozen endpoint got no second write").isEqualTo(1);
    assertThat(second.calls("Put")).isEqualTo(1);
    assertThat(third.calls("Put")).isEqualTo(1);
  }

  @Test
  void anEndpointThatAcceptsConnectionsButNeverAnswersIsPassedOverWithTheRequestUnsent()
      throws IOException {
    // What a frozen (SIGSTOP) process looks like to a new client: the kernel completes the TCP
    // handshake, nobody ever speaks HTTP/2.
    ServerSocket frozen = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    resources.add(frozen);
    FakeEtcdServer second = member(2);
    String frozenEndpoint = "127.0.0.1:" + frozen.getLocalPort();
    BallotClient client = client(Duration.ofSeconds(30), frozenEndpoint, second.endpoint());

    PutResult put = client.put("k", "v").join();
    PutResult again = client.put("k", "w").join();

    assertThat(put.revision()).isEqualTo(2);
    assertThat(again.revision()).isEqualTo(3);
    assertThat(second.calls("Put")).isEqualTo(2);
  }

  @Test
  void aCompareAndSwapRefusedBeforeProposingIsRetriedAndAppliedExactlyOnce() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    client(Duration.ofSeconds(5), second.endpoint()).put("k", "a").join();
    first.inject("Txn", Fault.noLeader(), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());
    long before = store.revision();

    CasResult cas = client.compareAndSwap("k", "a", "b").join();

    assertThat(cas.succeeded()).isTrue();
    assertThat(store.revision()).isEqualTo(before + 1);
    assertThat(client.get("k").join().orElseThrow().valueString()).isEqualTo("b");
  }

  @Test
  void writeAnsweredRequestTimedOutIsOutcomeUnknownAndNotRetried() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject(
        "Put",
        new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: request timed out")),
        1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());
    warmUp(client, first, second);

    Throwable error = failure(client.put("k", "v"));

    assertThat(error).isInstanceOf(OutcomeUnknownException.class);
    assertThat(((BallotException) error).serverMessage())
        .isEqualTo("etcdserver: request timed out");
    assertThat(first.calls("Put") + second.calls("Put")).isEqualTo(1);
  }

  @Test
  void compareAndSwapAnsweredLeaderChangedIsRetriedAtTheNextEndpointAndAppliedOnce() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    client(Duration.ofSeconds(5), second.endpoint()).put("k", "a").join();
    first.inject(
        "Txn", new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: leader changed")), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());
    warmUp(client, first, second);
    long before = store.revision();

    CasResult cas = client.compareAndSwap("k", "a", "b").join();

    assertThat(cas.succeeded()).isTrue();
    assertThat(first.calls("Txn")).isEqualTo(1);
    assertThat(second.calls("Txn")).isEqualTo(1);
    assertThat(store.revision()).isEqualTo(before + 1);
  }

  @Test
  void writeLosingTheConnectionAfterSendingIsOutcomeUnknown() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("DeleteRange", new Fault.DropConnection(), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());
    warmUp(client, first, second);

    Throwable error = failure(client.delete("k"));

    assertThat(error).isInstanceOf(OutcomeUnknownException.class);
    assertThat(first.calls("DeleteRange")).isEqualTo(1);
    assertThat(second.calls("DeleteRange")).isZero();
  }

  @Test
  void writeIsRetriedOnNoLeaderAtTheNextEndpoint() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("Put", Fault.noLeader(), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    PutResult result = client.put("k", "v").join();

    assertThat(first.calls("Put")).isEqualTo(1);
    assertThat(second.calls("Put")).isEqualTo(1);
    assertThat(result.revision()).isEqualTo(store.revision());
  }

  @Test
  void writeIsRetriedOnNoLeaderAtTheSameEndpointUntilALeaderIsElected() {
    FakeEtcdServer only = member(1);
    only.inject("Put", Fault.noLeader(), 3);
    BallotClient client = client(Duration.ofSeconds(5), only.endpoint());

    client.put("k", "v").join();

    assertThat(only.calls("Put")).isEqualTo(4);
    assertThat(store.revision()).isEqualTo(2); // applied exactly once
  }

  @Test
  void writeIsRetriedOnNotLeader() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject(
        "Put",
        new Fault.Fail(Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader")),
        1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    client.put("k", "v").join();

    assertThat(second.calls("Put")).isEqualTo(1);
  }

  @Test
  void noLeaderUntilTheDeadlineIsUnavailable() {
    FakeEtcdServer only = member(1);
    only.inject("Put", Fault.noLeader(), 1000);
    BallotClient client = client(Duration.ofSeconds(1), only.endpoint());
    warmUp(client, only);

    Throwable error = failure(client.put("k", "v"));

    assertThat(error).isInstanceOf(UnavailableException.class);
    assertThat(((BallotException) error).serverMessage()).isEqualTo("etcdserver: no leader");
    assertThat(error.getMessage()).contains(only.endpoint() + ": etcdserver: no leader");
    assertThat(store.revision()).isEqualTo(1);
  }

  @Test
  void readsAreRetriedOnAnyUnavailable() {
    FakeEtcdServer only = member(1);
    only.inject(
        "Range",
        new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: request timed out")),
        1);
    only.inject(
        "Range",
        new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: leader changed")),
        1);
    BallotClient client = client(Duration.ofSeconds(5), only.endpoint());

    assertThat(client.get("k").join()).isEmpty();
    assertThat(only.calls("Range")).isEqualTo(3);
  }

  @Test
  void readOnlyTxnIsRetriedLikeARead() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject(
        "Txn",
        new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: request timed out")),
        1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    TxnResult result = client.txn().then(Op.get("a")).commit().join();

    assertThat(result.succeeded()).isTrue();
    assertThat(second.calls("Txn")).isEqualTo(1);
  }

  @Test
  void membersAreRetriedOnAnotherEndpoint() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("MemberList", new Fault.Fail(Status.UNAVAILABLE), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    client.members().join();

    assertThat(second.calls("MemberList")).isEqualTo(1);
  }

  @Test
  void readWithoutAnswerTimesOut() {
    FakeEtcdServer only = member(1);
    only.inject("Range", new Fault.Hang(), 1);
    BallotClient client = client(Duration.ofMillis(300), only.endpoint());
    warmUp(client, only);

    Throwable error = failure(client.get("k"));

    assertThat(error).isInstanceOf(RequestTimeoutException.class);
    assertThat(error.getMessage()).contains("300ms");
  }

  @Test
  void noReachableEndpointIsUnavailableNamingEachEndpoint() {
    String down1 = FakeEtcdServer.unusedEndpoint();
    String down2 = FakeEtcdServer.unusedEndpoint();
    BallotClient client = client(Duration.ofMillis(500), down1, down2);

    Throwable write = failure(client.put("k", "v"));
    Throwable read = failure(client.get("k"));

    assertThat(write).isInstanceOf(UnavailableException.class);
    assertThat(write.getMessage()).contains(down1).contains(down2);
    assertThat(read).isInstanceOf(UnavailableException.class);
  }

  @Test
  void definiteErrorsAreNotRetried() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject(
        "Put",
        new Fault.Fail(Status.INVALID_ARGUMENT.withDescription("etcdserver: request is too large")),
        1);
    first.inject(
        "Put",
        new Fault.Fail(Status.RESOURCE_EXHAUSTED.withDescription("etcdserver: too many requests")),
        1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    Throwable tooLarge = failure(client.put("k", "v"));
    Throwable tooMany = failure(client.put("k", "v"));

    assertThat(tooLarge).isInstanceOf(InvalidRequestException.class);
    assertThat(tooLarge.getMessage()).isEqualTo("etcdserver: request is too large");
    assertThat(tooMany).isInstanceOf(ResourceExhaustedException.class);
    assertThat(second.calls("Put")).isZero();
  }

  @Test
  void statusAsksOnlyTheNamedEndpointOnce() {
    FakeEtcdServer first = member(1);
    FakeEtcdServer second = member(2);
    first.inject("Status", new Fault.Fail(Status.UNAVAILABLE), 1);
    BallotClient client = client(Duration.ofSeconds(5), first.endpoint(), second.endpoint());

    Throwable error = failure(client.status(first.endpoint()));

    assertThat(error).isInstanceOf(UnavailableException.class);
    assertThat(first.calls("Status")).isEqualTo(1);
    assertThat(second.calls("Status")).isZero();
  }
}
