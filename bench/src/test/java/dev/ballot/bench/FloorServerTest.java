package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FloorServerTest {
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    Channels.close(channels);
    servers.forEach(Server::shutdownNow);
  }

  private String serve(long memberId, long leaderId) throws Exception {
    Server server =
        FloorServerCommand.start(new InetSocketAddress("127.0.0.1", 0), memberId, leaderId);
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
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
