package dev.ballot.it;

import static dev.ballot.it.ClientCalls.client;
import static dev.ballot.it.ClientCalls.clientOfAll;
import static dev.ballot.it.ClientCalls.failure;
import static dev.ballot.it.ClientCalls.kv;
import static dev.ballot.it.ClientCalls.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.BallotClient;
import dev.ballot.client.BallotException;
import dev.ballot.client.CasResult;
import dev.ballot.client.CompareOp;
import dev.ballot.client.DeleteOptions;
import dev.ballot.client.DeleteResult;
import dev.ballot.client.EndpointStatus;
import dev.ballot.client.InvalidRequestException;
import dev.ballot.client.KeyValue;
import dev.ballot.client.MemberInfo;
import dev.ballot.client.Op;
import dev.ballot.client.OpResult;
import dev.ballot.client.PutOptions;
import dev.ballot.client.PutResult;
import dev.ballot.client.RangeOptions;
import dev.ballot.client.RangeResult;
import dev.ballot.client.TxnResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Java client ({@code dev.ballot.client.BallotClient}) against a real, healthy 3-node cluster:
 * exact revisions and versions of every operation, reads and writes through every node, status and
 * members. {@link BallotClientFaultIT} has what it answers when nodes fail.
 */
class BallotClientIT {
  private static final Duration SETTLE_BOUND = Duration.ofSeconds(30);

  /** The server's limit on one request, as etcd's default --max-request-bytes. */
  private static final int MAX_REQUEST_BYTES = 1536 * 1024;

  /** One healthy cluster, shared: no test here disturbs it. */
  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster shared;

  @BeforeAll
  static void startSharedCluster() {
    shared = clusters.start(3);
  }

  // ---- key-value operations on a healthy cluster ---------------------------------------------

  @Test
  void putGetAndDeleteReportExactRevisionsAndVersions() {
    try (BallotClient client = clientOfAll(shared)) {
      long created = value(client.put("kv/a", "1")).revision();
      assertThat(value(client.get("kv/a"))).contains(kv("kv/a", "1", created, created, 1));

      PutResult second = value(client.put("kv/a", "2", PutOptions.DEFAULT.withPrevKv()));
      assertThat(second.revision()).isEqualTo(created + 1);
      assertThat(second.prevKv()).contains(kv("kv/a", "1", created, created, 1));
      assertThat(value(client.get("kv/a"))).contains(kv("kv/a", "2", created, created + 1, 2));

      DeleteResult deleted = value(client.delete("kv/a"));
      assertThat(deleted.deleted()).isEqualTo(1);
      assertThat(deleted.revision()).isEqualTo(created + 2);
      assertThat(value(client.get("kv/a"))).isEmpty();

      DeleteResult nothing = value(client.delete("kv/a"));
      assertThat(nothing.deleted()).as("deleting an absent key").isZero();
      assertThat(nothing.revision())
          .as("a delete of nothing changes nothing")
          .isEqualTo(created + 2);

      long recreated = value(client.put("kv/a", "3")).revision();
      assertThat(recreated).isEqualTo(created + 3);
      assertThat(value(client.get("kv/a")))
          .as("a key created again starts over at version 1")
          .contains(kv("kv/a", "3", recreated, recreated, 1));
    }
  }

  @Test
  void rangeHonoursPrefixLimitCountAndKeysOnly() {
    try (BallotClient client = clientOfAll(shared)) {
      long first = value(client.put("range/a", "1")).revision();
      for (String key : List.of("range/b", "range/c", "range/d", "range/e", "range", "rangf")) {
        value(client.put(key, "x"));
      }
      long last = first + 6;

      RangeResult all = value(client.range(RangeOptions.builder("range/").prefix().build()));
      assertThat(all.kvs())
          .extracting(KeyValue::keyString)
          .containsExactly("range/a", "range/b", "range/c", "range/d", "range/e");
      assertThat(all.kvs().get(0)).isEqualTo(kv("range/a", "1", first, first, 1));
      assertThat(all.count()).isEqualTo(5);
      assertThat(all.more()).isFalse();
      assertThat(all.revision()).isEqualTo(last);

      RangeResult limited =
          value(client.range(RangeOptions.builder("range/").prefix().limit(2).build()));
      assertThat(limited.kvs())
          .extracting(KeyValue::keyString)
          .containsExactly("range/a", "range/b");
      assertThat(limited.count()).as("count ignores the limit").isEqualTo(5);
      assertThat(limited.more()).isTrue();

      RangeResult counted =
          value(client.range(RangeOptions.builder("range/").prefix().countOnly().build()));
      assertThat(counted.kvs()).isEmpty();
      assertThat(counted.count()).isEqualTo(5);

      RangeResult keysOnly =
          value(client.range(RangeOptions.builder("range/").prefix().keysOnly().build()));
      assertThat(keysOnly.kvs()).hasSize(5).allSatisfy(kv -> assertThat(kv.value()).isEmpty());
    }
  }

  @Test
  void deletePrefixDeletesExactlyTheKeysUnderIt() {
    try (BallotClient client = clientOfAll(shared)) {
      long first = value(client.put("del/1", "a")).revision();
      value(client.put("del/2", "b"));
      value(client.put("del/3", "c"));
      value(client.put("del", "outside"));

      DeleteResult deleted =
          value(client.delete("del/", DeleteOptions.DEFAULT.withPrefix().withPrevKv()));
      assertThat(deleted.deleted()).isEqualTo(3);
      assertThat(deleted.revision()).as("one revision for the whole delete").isEqualTo(first + 4);
      assertThat(deleted.prevKvs())
          .extracting(KeyValue::keyString, KeyValue::valueString, KeyValue::modRevision)
          .containsExactly(
              tuple("del/1", "a", first),
              tuple("del/2", "b", first + 1),
              tuple("del/3", "c", first + 2));

      assertThat(value(client.range(RangeOptions.builder("del/").prefix().build())).count())
          .isZero();
      assertThat(value(client.get("del")).map(KeyValue::valueString)).contains("outside");
      assertThat(value(client.deletePrefix("del/")).deleted()).isZero();
    }
  }

  @Test
  void txnRunsThenWhenEveryGuardHoldsAndOtherwiseWhenOneFails() {
    try (BallotClient client = clientOfAll(shared)) {
      long created = value(client.put("txn/k", "v1")).revision();

      TxnResult taken =
          value(
              client
                  .txn()
                  .ifValue("txn/k", CompareOp.EQUAL, "v1")
                  .ifVersion("txn/k", CompareOp.EQUAL, 1)
                  .ifCreateRevision("txn/k", CompareOp.EQUAL, created)
                  .then(Op.put("txn/k", "v2"), Op.put("txn/other", "o"), Op.get("txn/k"))
                  .otherwise(Op.get("txn/k"))
                  .commit());
      assertThat(taken.succeeded()).isTrue();
      assertThat(taken.revision()).as("one revision for the whole txn").isEqualTo(created + 1);
      assertThat(taken.responses()).hasSize(3);
      assertThat(taken.responses().get(0))
          .isEqualTo(new OpResult.Put(new PutResult(created + 1, Optional.empty())));
      assertThat(rangeOf(taken.responses().get(2)).kvs())
          .containsExactly(kv("txn/k", "v2", created, created + 1, 2));
      assertThat(value(client.get("txn/other")))
          .contains(kv("txn/other", "o", created + 1, created + 1, 1));

      TxnResult refused =
          value(
              client
                  .txn()
                  .ifModRevision("txn/k", CompareOp.EQUAL, created)
                  .then(Op.put("txn/k", "v3"))
                  .otherwise(Op.get("txn/k"), Op.delete("txn/other"))
                  .commit());
      assertThat(refused.succeeded()).isFalse();
      assertThat(refused.revision())
          .as("the otherwise branch deleted a key")
          .isEqualTo(created + 2);
      assertThat(rangeOf(refused.responses().get(0)).kvs())
          .containsExactly(kv("txn/k", "v2", created, created + 1, 2));
      assertThat(refused.responses().get(1)).isInstanceOf(OpResult.Delete.class);
      assertThat(((OpResult.Delete) refused.responses().get(1)).result().deleted()).isEqualTo(1);
      assertThat(value(client.get("txn/k")).map(KeyValue::valueString)).contains("v2");
      assertThat(value(client.get("txn/other"))).isEmpty();
    }
  }

  @Test
  void compareAndSwapWritesOnlyOverTheExpectedValue() {
    try (BallotClient client = clientOfAll(shared)) {
      long created = value(client.put("cas/k", "a")).revision();

      CasResult swapped = value(client.compareAndSwap("cas/k", "a", "b"));
      assertThat(swapped).isEqualTo(new CasResult(true, created + 1, Optional.empty()));

      CasResult stale = value(client.compareAndSwap("cas/k", "a", "c"));
      assertThat(stale)
          .isEqualTo(
              new CasResult(
                  false, created + 1, Optional.of(kv("cas/k", "b", created, created + 1, 2))));

      CasResult absent = value(client.compareAndSwap("cas/absent", "a", "b"));
      assertThat(absent).isEqualTo(new CasResult(false, created + 1, Optional.empty()));
      assertThat(value(client.get("cas/absent"))).isEmpty();
      assertThat(value(client.get("cas/k")).map(KeyValue::valueString)).contains("b");
    }
  }

  @Test
  void compareAndSwapByRevisionCreatesOnceAndThenNeedsTheLastRevision() {
    try (BallotClient client = clientOfAll(shared)) {
      CasResult created = value(client.compareAndSwapByRevision("cas/lock", 0, "me"));
      assertThat(created.succeeded()).isTrue();
      long rev = created.revision();
      assertThat(value(client.get("cas/lock"))).contains(kv("cas/lock", "me", rev, rev, 1));

      CasResult again = value(client.compareAndSwapByRevision("cas/lock", 0, "you"));
      assertThat(again)
          .isEqualTo(new CasResult(false, rev, Optional.of(kv("cas/lock", "me", rev, rev, 1))));

      CasResult wrongRevision = value(client.compareAndSwapByRevision("cas/lock", rev - 1, "you"));
      assertThat(wrongRevision.succeeded()).isFalse();

      CasResult updated = value(client.compareAndSwapByRevision("cas/lock", rev, "me2"));
      assertThat(updated).isEqualTo(new CasResult(true, rev + 1, Optional.empty()));
      assertThat(value(client.get("cas/lock"))).contains(kv("cas/lock", "me2", rev, rev + 1, 2));
    }
  }

  @Test
  void binaryKeysAndValuesRoundTripAndAnAllOnesPrefixEndsAtTheKeySpaceEnd() {
    byte[] prefix = {(byte) 0xff, (byte) 0xff};
    byte[] low = {(byte) 0xff, (byte) 0xff, 0x01};
    byte[] high = {(byte) 0xff, (byte) 0xff, (byte) 0xff};
    byte[] binaryValue = {0x00, (byte) 0xc3, 0x28, (byte) 0xff};
    try (BallotClient client = clientOfAll(shared)) {
      long first = value(client.put(high, binaryValue)).revision();
      value(client.put(low, binaryValue));
      value(client.put(prefix, binaryValue));

      RangeResult all = value(client.range(RangeOptions.builder(prefix).prefix().build()));
      assertThat(all.kvs()).extracting(KeyValue::key).containsExactly(prefix, low, high);
      assertThat(all.kvs()).allSatisfy(kv -> assertThat(kv.value()).isEqualTo(binaryValue));
      assertThat(all.kvs().get(2).modRevision()).isEqualTo(first);
      assertThat(value(client.range(RangeOptions.builder(low).fromKey().build())).kvs())
          .extracting(KeyValue::key)
          .containsExactly(low, high);

      assertThat(value(client.deletePrefix(prefix)).deleted()).isEqualTo(3);
      assertThat(value(client.range(RangeOptions.builder(prefix).prefix().build())).count())
          .isZero();
    }
  }

  @Test
  void valueOverTheRequestLimitIsRefusedAsInvalidThroughEveryNode() {
    String big = "x".repeat(MAX_REQUEST_BYTES + 1024);
    for (int node = 0; node < shared.size(); node++) {
      try (BallotClient client = client(shared, node)) {
        Throwable failure = failure(client.put("big", big), ClientCalls.REQUEST_TIMEOUT);
        assertThat(failure).as("through node %d", node).isInstanceOf(InvalidRequestException.class);
        assertThat(((BallotException) failure).serverMessage())
            .isEqualTo("etcdserver: request is too large");
        assertThat(value(client.get("big"))).isEmpty();
      }
    }
  }

  @Test
  void everyNodeTakesWritesAndServesEveryWriteThroughItsOwnEndpoint() {
    long[] revisions = new long[shared.size()];
    for (int writer = 0; writer < shared.size(); writer++) {
      try (BallotClient client = client(shared, writer)) {
        revisions[writer] = value(client.put("via/" + writer, "n" + writer)).revision();
      }
    }
    assertThat(revisions[1]).isEqualTo(revisions[0] + 1);
    assertThat(revisions[2]).isEqualTo(revisions[0] + 2);

    for (int reader = 0; reader < shared.size(); reader++) {
      try (BallotClient client = client(shared, reader)) {
        RangeResult read = value(client.range(RangeOptions.builder("via/").prefix().build()));
        assertThat(read.kvs())
            .as("linearizable read through node %d", reader)
            .containsExactly(
                kv("via/0", "n0", revisions[0], revisions[0], 1),
                kv("via/1", "n1", revisions[1], revisions[1], 1),
                kv("via/2", "n2", revisions[2], revisions[2], 1));
        assertThat(read.revision()).isGreaterThanOrEqualTo(revisions[2]);
        TxnResult readOnlyTxn =
            value(
                client
                    .txn()
                    .ifVersion("via/0", CompareOp.EQUAL, 1)
                    .then(Op.get("via/2"))
                    .otherwise(Op.get("via/0"))
                    .commit());
        assertThat(readOnlyTxn.succeeded()).as("read-only txn through node %d", reader).isTrue();
        assertThat(rangeOf(readOnlyTxn.responses().get(0)).kvs())
            .containsExactly(kv("via/2", "n2", revisions[2], revisions[2], 1));
        await("node " + reader + " to serve every write from its own copy")
            .atMost(SETTLE_BOUND)
            .until(
                () ->
                    value(
                            client.range(
                                RangeOptions.builder("via/").prefix().serializable().build()))
                        .kvs()
                        .equals(read.kvs()));
      }
    }
  }

  @Test
  void statusOfEachEndpointShowsOneLeaderInOneTerm() {
    try (BallotClient client = clientOfAll(shared)) {
      List<EndpointStatus> statuses =
          IntStream.range(0, shared.size())
              .mapToObj(i -> value(client.status(shared.clientAddress(i))))
              .toList();

      assertThat(statuses)
          .extracting(EndpointStatus::endpoint)
          .containsExactlyElementsOf(client.endpoints());
      assertThat(statuses).filteredOn(EndpointStatus::isLeader).hasSize(1);
      long leaderId =
          statuses.stream().filter(EndpointStatus::isLeader).findFirst().orElseThrow().memberId();
      assertThat(statuses).extracting(EndpointStatus::leaderId).containsOnly(leaderId);
      assertThat(statuses.stream().map(EndpointStatus::raftTerm).distinct()).hasSize(1);
      assertThat(statuses)
          .allSatisfy(
              s -> {
                assertThat(s.isLearner()).isFalse();
                assertThat(s.raftAppliedIndex()).isPositive().isLessThanOrEqualTo(s.raftIndex());
                assertThat(s.errors()).isEmpty();
              });
      if (shared.flavor() == ServerFlavor.KVSERVER) {
        // Ballot numbers a new cluster's members 1..N and speaks etcd's 3.5 API.
        assertThat(statuses)
            .extracting(EndpointStatus::memberId)
            .containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(statuses).extracting(EndpointStatus::version).containsOnly("3.5.0");
      }
      assertThat(statuses.get(shared.awaitLeader()).isLeader()).isTrue();
    }
  }

  @Test
  void membersListsIdsOneToThreeWithTheClientUrlOfEachEndpoint() {
    try (BallotClient client = clientOfAll(shared)) {
      List<MemberInfo> members = value(client.members());

      assertThat(members).hasSize(3);
      if (shared.flavor() == ServerFlavor.KVSERVER) {
        assertThat(members).extracting(MemberInfo::id).containsExactlyInAnyOrder(1L, 2L, 3L);
      }
      assertThat(members).noneMatch(MemberInfo::isLearner);
      Map<Long, MemberInfo> byId =
          members.stream().collect(Collectors.toMap(MemberInfo::id, Function.identity()));
      for (int i = 0; i < shared.size(); i++) {
        long id = value(client.status(shared.clientAddress(i))).memberId();
        assertThat(byId.get(id).clientUrls())
            .as("client URLs of member %d, node %d", id, i)
            .containsExactly(shared.clientEndpoints().get(i));
      }
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static RangeResult rangeOf(OpResult result) {
    assertThat(result).isInstanceOf(OpResult.Range.class);
    return ((OpResult.Range) result).result();
  }
}
