package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.client.fake.FakeCluster;
import dev.ballot.client.fake.FakeEtcdServer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BallotClientResultsTest {
  private FakeEtcdServer server;
  private BallotClient client;

  @BeforeEach
  void start() {
    server = FakeEtcdServer.start();
    client =
        BallotClient.builder()
            .endpoints(server.endpoint())
            .requestTimeout(Duration.ofSeconds(5))
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  @Test
  void putThenGetReturnsTheValueWithRevisions() {
    PutResult first = client.put("a", "1").join();
    PutResult second = client.put("a", "2", PutOptions.DEFAULT.withPrevKv()).join();

    assertThat(second.revision()).isEqualTo(first.revision() + 1);
    assertThat(first.prevKv()).isEmpty();
    assertThat(second.prevKv().orElseThrow().valueString()).isEqualTo("1");

    KeyValue kv = client.get("a").join().orElseThrow();
    assertThat(kv.keyString()).isEqualTo("a");
    assertThat(kv.valueString()).isEqualTo("2");
    assertThat(kv.createRevision()).isEqualTo(first.revision());
    assertThat(kv.modRevision()).isEqualTo(second.revision());
    assertThat(kv.version()).isEqualTo(2);
  }

  @Test
  void getOfMissingKeyIsEmpty() {
    assertThat(client.get("nothing").join()).isEmpty();
  }

  @Test
  void keyValueIsImmutableAndComparedByContent() {
    byte[] key = {1, 2};
    KeyValue kv = new KeyValue(key, new byte[] {3}, 1, 2, 1, 0);
    key[0] = 9;
    kv.key()[1] = 9;

    assertThat(kv.key()).containsExactly(1, 2);
    assertThat(kv).isEqualTo(new KeyValue(new byte[] {1, 2}, new byte[] {3}, 1, 2, 1, 0));
    assertThat(kv.toString()).contains("0x0102");
  }

  @Test
  void rangeHonoursPrefixLimitKeysOnlyAndCountOnly() {
    for (String key : List.of("app/a", "app/b", "app/c", "apq", "b")) {
      client.put(key, "v-" + key).join();
    }

    RangeResult prefix = client.range(RangeOptions.builder("app/").prefix().build()).join();
    assertThat(prefix.kvs())
        .extracting(KeyValue::keyString)
        .containsExactly("app/a", "app/b", "app/c");
    assertThat(prefix.count()).isEqualTo(3);
    assertThat(prefix.more()).isFalse();
    assertThat(prefix.revision()).isEqualTo(server.store().revision());

    RangeResult limited =
        client.range(RangeOptions.builder("app/").prefix().limit(2).build()).join();
    assertThat(limited.kvs()).hasSize(2);
    assertThat(limited.count()).isEqualTo(3);
    assertThat(limited.more()).isTrue();

    RangeResult keysOnly =
        client.range(RangeOptions.builder("app/").prefix().keysOnly().build()).join();
    assertThat(keysOnly.kvs()).allSatisfy(kv -> assertThat(kv.value()).isEmpty());

    RangeResult countOnly =
        client.range(RangeOptions.builder("app/").prefix().countOnly().build()).join();
    assertThat(countOnly.kvs()).isEmpty();
    assertThat(countOnly.count()).isEqualTo(3);

    RangeResult fromKey = client.range(RangeOptions.builder("apq").fromKey().build()).join();
    assertThat(fromKey.kvs()).extracting(KeyValue::keyString).containsExactly("apq", "b");

    RangeResult everything = client.range(RangeOptions.builder("").prefix().build()).join();
    assertThat(everything.count()).isEqualTo(5);
  }

  @Test
  void prefixAndFromKeyCannotBeCombined() {
    assertThatThrownBy(() -> RangeOptions.builder("a").prefix().fromKey().build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void deleteReportsCountAndPreviousValues() {
    client.put("d/1", "x").join();
    client.put("d/2", "y").join();
    client.put("e", "z").join();

    DeleteResult one = client.delete("e").join();
    assertThat(one.deleted()).isEqualTo(1);
    assertThat(one.prevKvs()).isEmpty();

    DeleteResult prefix =
        client.delete("d/", DeleteOptions.DEFAULT.withPrefix().withPrevKv()).join();
    assertThat(prefix.deleted()).isEqualTo(2);
    assertThat(prefix.prevKvs()).extracting(KeyValue::valueString).containsExactly("x", "y");
    assertThat(prefix.revision()).isEqualTo(server.store().revision());

    assertThat(client.deletePrefix("d/").join().deleted()).isZero();
  }

  @Test
  void txnRunsThenBranchWhenGuardsHold() {
    long rev = client.put("k", "v1").join().revision();

    TxnResult result =
        client
            .txn()
            .ifModRevision("k", CompareOp.EQUAL, rev)
            .ifValue("k", CompareOp.EQUAL, "v1")
            .ifVersion("k", CompareOp.GREATER, 0)
            .ifCreateRevision("k", CompareOp.LESS, rev + 1)
            .then(Op.put("k", "v2"), Op.get("k"))
            .otherwise(Op.delete("k"))
            .commit()
            .join();

    assertThat(result.succeeded()).isTrue();
    assertThat(result.revision()).isEqualTo(rev + 1);
    assertThat(result.responses()).hasSize(2);
    assertThat(result.responses().get(0)).isInstanceOf(OpResult.Put.class);
    OpResult.Range read = (OpResult.Range) result.responses().get(1);
    assertThat(read.result().kvs().get(0).valueString()).isEqualTo("v2");
  }

  @Test
  void txnRunsOtherwiseBranchWhenAGuardFails() {
    client.put("k", "v1").join();

    TxnResult result =
        client
            .txn()
            .ifValue("k", CompareOp.NOT_EQUAL, "v1")
            .then(Op.put("k", "never"))
            .otherwise(Op.delete("k", DeleteOptions.DEFAULT.withPrevKv()))
            .commit()
            .join();

    assertThat(result.succeeded()).isFalse();
    OpResult.Delete delete = (OpResult.Delete) result.responses().get(0);
    assertThat(delete.result().deleted()).isEqualTo(1);
    assertThat(delete.result().prevKvs().get(0).valueString()).isEqualTo("v1");
    assertThat(client.get("k").join()).isEmpty();
  }

  @Test
  void txnCannotBeCommittedTwice() {
    Txn txn = client.txn().then(Op.get("x"));
    txn.commit().join();
    assertThatThrownBy(txn::commit).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void compareAndSwapSwapsOnlyOnMatchAndReportsTheCurrentValue() {
    client.put("cas", "old").join();

    CasResult miss = client.compareAndSwap("cas", "other", "new").join();
    assertThat(miss.succeeded()).isFalse();
    assertThat(miss.current().orElseThrow().valueString()).isEqualTo("old");

    CasResult hit = client.compareAndSwap("cas", "old", "new").join();
    assertThat(hit.succeeded()).isTrue();
    assertThat(hit.current()).isEmpty();
    KeyValue now = client.get("cas").join().orElseThrow();
    assertThat(now.valueString()).isEqualTo("new");
    assertThat(now.modRevision()).isEqualTo(hit.revision());

    CasResult missing = client.compareAndSwap("absent", "x", "y").join();
    assertThat(missing.succeeded()).isFalse();
    assertThat(missing.current()).isEmpty();
  }

  @Test
  void compareAndSwapByRevisionZeroCreatesOnlyAbsentKeys() {
    CasResult created = client.compareAndSwapByRevision("lock", 0, "me").join();
    CasResult again = client.compareAndSwapByRevision("lock", 0, "you").join();

    assertThat(created.succeeded()).isTrue();
    assertThat(again.succeeded()).isFalse();
    assertThat(again.current().orElseThrow().valueString()).isEqualTo("me");
    assertThat(again.current().orElseThrow().modRevision()).isEqualTo(created.revision());
  }

  @Test
  void invalidArgumentIsAnInvalidRequestWithEtcdsMessage() {
    assertThatThrownBy(() -> client.put("", "v").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("etcdserver: key is not provided")
        .satisfies(
            e ->
                assertThat(((BallotException) e).code())
                    .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT));
    assertThat(server.calls("Put")).isEqualTo(0); // refused by the fake before counting
  }

  @Test
  void statusAndMembersAreTyped() {
    try (FakeCluster cluster = FakeCluster.start(3);
        BallotClient clusterClient =
            BallotClient.builder().endpoints(cluster.endpoints().split(",")).build()) {
      cluster
          .store()
          .addMember(
              dev.ballot.etcd.api.Member.newBuilder()
                  .setID(4)
                  .setName("node4")
                  .setIsLearner(true)
                  .build());

      EndpointStatus leader = clusterClient.status(cluster.server(0).endpoint()).join();
      EndpointStatus follower =
          clusterClient.status("http://" + cluster.server(1).endpoint()).join();

      assertThat(leader.memberId()).isEqualTo(1);
      assertThat(leader.isLeader()).isTrue();
      assertThat(leader.endpoint()).isEqualTo(cluster.server(0).endpoint());
      assertThat(follower.memberId()).isEqualTo(2);
      assertThat(follower.leaderId()).isEqualTo(1);
      assertThat(follower.isLeader()).isFalse();
      assertThat(follower.raftAppliedIndex()).isPositive();
      assertThat(follower.version()).isEqualTo("3.5.0-fake");

      List<MemberInfo> members = clusterClient.members().join();
      assertThat(members).extracting(MemberInfo::id).containsExactly(1L, 2L, 3L, 4L);
      assertThat(members.get(0).name()).isEqualTo("node1");
      assertThat(members.get(0).clientUrls())
          .containsExactly("http://" + cluster.server(0).endpoint());
      assertThat(members.get(3).isLearner()).isTrue();
    }
  }

  @Test
  void statusOfAnEndpointOutsideTheListWorks() {
    try (FakeEtcdServer other = FakeEtcdServer.start()) {
      assertThat(client.status(other.endpoint()).join().memberId()).isEqualTo(1);
      assertThat(client.endpoints()).containsExactly(server.endpoint());
    }
  }

  @Test
  void binaryKeysRoundTrip() {
    byte[] key = {(byte) 0xff, 0, 1};
    byte[] value = {(byte) 0x80, (byte) 0xfe};
    client.put(key, value).join();

    Optional<KeyValue> kv = client.get(key).join();
    assertThat(kv.orElseThrow().value()).containsExactly(value);
    assertThat(
            client
                .range(RangeOptions.builder(new byte[] {(byte) 0xff}).prefix().build())
                .join()
                .count())
        .isEqualTo(1);
  }

  @Test
  void callsAfterCloseFail() {
    client.close();
    assertThatThrownBy(() -> client.get("a").join())
        .cause()
        .isInstanceOf(BallotException.class)
        .hasMessageContaining("closed");
  }
}
