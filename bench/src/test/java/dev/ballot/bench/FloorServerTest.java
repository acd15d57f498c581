package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class FloorServerTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  @AfterEach
  void stop() throws InterruptedException {
    Channels.close(channels);
    for (Server server : servers) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private String serve(long memberId, long leaderId) throws Exception {
    Server server =
        FloorServerCommand.start(new InetSocketAddress("127.0.0.1", 0), memberId, leaderId);
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
  }

  @Test
  @Timeout(60)
  void getsFindEveryKeyOnEveryFloorServerThoughTheyShareNothing() throws Exception {
    // Two servers that know nothing of each other; a cluster's members would all hold every key.
    List<String> endpoints = List.of(serve(1, 1), serve(2, 1));
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    LoadConfig config =
        new LoadConfig(
            "floor",
            "get-ser",
            endpoints,
            Workload.GET_SER,
            8,
            2,
            Target.ALL,
            Duration.ZERO,
            Duration.ofSeconds(1),
            16,
            500,
            Duration.ofSeconds(5),
            1);

    RunResult result =
        new LoadGenerator(
                config,
                new ServerProcesses(List.of(), 100),
                new PrintStream(progress, true, StandardCharsets.UTF_8))
            .run();

    assertThat(result.ops()).isPositive();
    assertThat(result.errorCodes()).isEmpty();
    assertThat(result.errors()).isZero();
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("preloading 500 keys through " + endpoints.get(0))
        .contains("preloading 500 keys through " + endpoints.get(1));
  }

  @Test
  void aRangeReadsWhatThePutsWroteAndADeleteRemovesIt() throws Exception {
    ManagedChannel channel = Channels.open(serve(7, 7));
    channels.add(channel);
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);

    assertThat(kv.put(put("a/1", "x")).getHeader().getRevision()).isEqualTo(2);
    assertThat(kv.put(put("a/1", "y")).getHeader().getRevision()).isEqualTo(3);
    assertThat(kv.put(put("a/2", "z")).getHeader().getRevision()).isEqualTo(4);
    kv.put(put("b", "w"));

    RangeResponse one = kv.range(RangeRequest.newBuilder().setKey(bytes("a/1")).build());
    assertThat(one.getKvsList())
        .singleElement()
        .satisfies(
            k -> {
              assertThat(k.getValue().toStringUtf8()).isEqualTo("y");
              assertThat(k.getCreateRevision()).isEqualTo(2);
              assertThat(k.getModRevision()).isEqualTo(3);
              assertThat(k.getVersion()).isEqualTo(2);
            });
    assertThat(one.getHeader().getMemberId()).isEqualTo(7);
    assertThat(one.getHeader().getRevision()).isEqualTo(5);
    RangeResponse prefix =
        kv.range(
            RangeRequest.newBuilder()
                .setKey(bytes("a/"))
                .setRangeEnd(bytes("a0"))
                .setLimit(1)
                .build());
    assertThat(prefix.getCount()).isEqualTo(2);
    assertThat(prefix.getMore()).isTrue();
    assertThat(prefix.getKvs(0).getKey().toStringUtf8()).isEqualTo("a/1");
    assertThat(kv.range(RangeRequest.newBuilder().setKey(bytes("nope")).build()).getKvsCount())
        .isZero();

    DeleteRangeResponse deleted =
        kv.deleteRange(
            DeleteRangeRequest.newBuilder().setKey(bytes("a/")).setRangeEnd(bytes("a0")).build());
    assertThat(deleted.getDeleted()).isEqualTo(2);
    RangeResponse all =
        kv.range(
            RangeRequest.newBuilder()
                .setKey(ByteString.copyFrom(new byte[] {0}))
                .setRangeEnd(ByteString.copyFrom(new byte[] {0}))
                .build());
    assertThat(all.getKvsList()).extracting(k -> k.getKey().toStringUtf8()).containsExactly("b");
  }

  @Test
  void rangesFollowEtcdsRules() throws Exception {
    ManagedChannel channel = Channels.open(serve(1, 1));
    channels.add(channel);
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
    for (String key : List.of("a", "b", "c")) {
      kv.put(put(key, "value-" + key));
    }

    RangeResponse tail =
        kv.range(RangeRequest.newBuilder().setKey(bytes("b")).setRangeEnd(ZERO).build());
    assertThat(tail.getKvsList())
        .extracting(k -> k.getKey().toStringUtf8())
        .containsExactly("b", "c");
    RangeResponse reversed =
        kv.range(RangeRequest.newBuilder().setKey(bytes("c")).setRangeEnd(bytes("a")).build());
    assertThat(reversed.getCount()).isZero();
    RangeResponse counted =
        kv.range(
            RangeRequest.newBuilder()
                .setKey(ZERO)
                .setRangeEnd(ZERO)
                .setCountOnly(true)
                .setLimit(1)
                .build());
    assertThat(counted.getCount()).isEqualTo(3);
    assertThat(counted.getKvsCount()).isZero();
    assertThat(counted.getMore()).isFalse();
    RangeResponse keysOnly =
        kv.range(
            RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setKeysOnly(true).build());
    assertThat(keysOnly.getKvsList()).allSatisfy(k -> assertThat(k.getValue().isEmpty()).isTrue());
    RangeResponse noLimit =
        kv.range(RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setLimit(-1).build());
    assertThat(noLimit.getKvsCount()).isEqualTo(3);
    assertThat(noLimit.getMore()).isFalse();
    RangeResponse atLimit =
        kv.range(RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setLimit(3).build());
    assertThat(atLimit.getKvsCount()).isEqualTo(3);
    assertThat(atLimit.getMore()).isFalse();

    assertThatThrownBy(() -> kv.put(put("", "v")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("etcdserver: key is not provided");
            });
  }

  @Test
  void aDeleteMovesTheRevisionOnceAndOnlyIfItDeletedSomething() throws Exception {
    ManagedChannel channel = Channels.open(serve(1, 1));
    channels.add(channel);
    KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
    kv.put(put("a", "1"));
    kv.put(put("b", "2"));

    DeleteRangeResponse none =
        kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(bytes("zz")).build());
    assertThat(none.getDeleted()).isZero();
    assertThat(none.getHeader().getRevision()).isEqualTo(3);
    DeleteRangeResponse reversed =
        kv.deleteRange(
            DeleteRangeRequest.newBuilder().setKey(bytes("b")).setRangeEnd(bytes("a")).build());
    assertThat(reversed.getDeleted()).isZero();
    DeleteRangeResponse both =
        kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).build());
    assertThat(both.getDeleted()).isEqualTo(2);
    assertThat(both.getHeader().getRevision()).isEqualTo(4);
  }

  @Test
  @Timeout(30) // a listen address taken for good would serve until stopped
  void aListenAddressWithoutHostOrPortIsRefused() {
    for (String listen : List.of("15379", ":15379", "127.0.0.1:port", "127.0.0.1:70000")) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit =
          BallotBench.commandLine(
                  new PrintStream(new ByteArrayOutputStream()), new PrintStream(err))
              .execute("floor-server", "--listen", listen, "--member-id", "1", "--leader-id", "1");
      assertThat(exit).as(listen).isEqualTo(2);
      assertThat(err.toString()).contains("--listen takes host:port, not " + listen);
    }
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build();
  }

  @Test
  void theLoadGeneratorFindsTheLeaderTheServersName() throws Exception {
    List<String> endpoints = List.of(serve(1, 2), serve(2, 2), serve(3, 2));

    List<EndpointStatus> statuses = StatusProbe.awaitLeader(endpoints, Duration.ofSeconds(10));

    assertThat(statuses).extracting(EndpointStatus::leads).containsExactly(false, true, false);
    assertThat(statuses).extracting(EndpointStatus::memberId).containsExactly(1L, 2L, 3L);
  }
}
