package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * jetcd, unchanged, against a cluster: the answers must be etcd's (revisions, versions, prev_kv,
 * deleted counts, the txn branch taken). Tests run one at a time and each owns a key prefix, so a
 * response's revisions can be predicted from the one before.
 */
class JetcdCompatibilityTest {
  private static final long TIMEOUT_S = 10;

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;
  private static KV kv;

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
    client = Client.builder().endpoints(cluster.clientEndpoints().toArray(String[]::new)).build();
    kv = client.getKVClient();
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void putCountsRevisionsAndVersionsAndReturnsThePreviousValue() {
    PutResponse first = await(kv.put(bytes("put/k"), bytes("v1")));
    long r1 = first.getHeader().getRevision();
    assertThat(first.hasPrevKv()).isFalse();

    KeyValue created = single(await(kv.get(bytes("put/k"))));
    assertThat(created.getValue()).isEqualTo(bytes("v1"));
    assertThat(created.getCreateRevision()).isEqualTo(r1);
    assertThat(created.getModRevision()).isEqualTo(r1);
    assertThat(created.getVersion()).isEqualTo(1);

    PutResponse second =
        await(kv.put(bytes("put/k"), bytes("v2"), PutOption.builder().withPrevKV().build()));
    assertThat(second.getHeader().getRevision()).isEqualTo(r1 + 1);
    assertThat(second.hasPrevKv()).isTrue();
    assertThat(second.getPrevKv().getValue()).isEqualTo(bytes("v1"));
    assertThat(second.getPrevKv().getVersion()).isEqualTo(1);
    assertThat(second.getPrevKv().getModRevision()).isEqualTo(r1);

    GetResponse updated = await(kv.get(bytes("put/k")));
    assertThat(updated.getHeader().getRevision()).isEqualTo(r1 + 1);
    KeyValue kv2 = single(updated);
    assertThat(kv2.getValue()).isEqualTo(bytes("v2"));
    assertThat(kv2.getCreateRevision()).isEqualTo(r1);
    assertThat(kv2.getModRevision()).isEqualTo(r1 + 1);
    assertThat(kv2.getVersion()).isEqualTo(2);
  }

  @Test
  void getWithPrefixReturnsKeysInOrderWithCountAndMore() {
    // "pre0" sorts right after every "pre/..." key: the prefix's range end, which is exclusive.
    for (String key : List.of("pre/b", "pre/a", "pre/c", "pre0", "pra")) {
      await(kv.put(bytes(key), bytes("value-of-" + key)));
    }
    GetOption prefix = GetOption.builder().isPrefix(true).build();

    GetResponse all = await(kv.get(bytes("pre/"), prefix));
    assertThat(keys(all)).containsExactly("pre/a", "pre/b", "pre/c");
    assertThat(all.getKvs().get(0).getValue()).isEqualTo(bytes("value-of-pre/a"));
    assertThat(all.getCount()).isEqualTo(3);
    assertThat(all.isMore()).isFalse();

    GetResponse limited =
        await(kv.get(bytes("pre/"), GetOption.builder().isPrefix(true).withLimit(2).build()));
    assertThat(keys(limited)).containsExactly("pre/a", "pre/b");
    assertThat(limited.getCount()).isEqualTo(3);
    assertThat(limited.isMore()).isTrue();

    GetResponse countOnly =
        await(
            kv.get(bytes("pre/"), GetOption.builder().isPrefix(true).withCountOnly(true).build()));
    assertThat(countOnly.getKvs()).isEmpty();
    assertThat(countOnly.getCount()).isEqualTo(3);

    GetResponse keysOnly =
        await(kv.get(bytes("pre/"), GetOption.builder().isPrefix(true).withKeysOnly(true).build()));
    assertThat(keys(keysOnly)).containsExactly("pre/a", "pre/b", "pre/c");
    assertThat(keysOnly.getKvs()).allSatisfy(k -> assertThat(k.getValue().isEmpty()).isTrue());

    GetResponse none = await(kv.get(bytes("pre/none")));
    assertThat(none.getKvs()).isEmpty();
    assertThat(none.getCount()).isZero();
  }

  @Test
  void deleteCountsWhatItDeletedAndResetsTheVersion() {
    await(kv.put(bytes("del/1"), bytes("one")));
    long r = await(kv.put(bytes("del/2"), bytes("two"))).getHeader().getRevision();

    DeleteResponse single = await(kv.delete(bytes("del/1")));
    assertThat(single.getDeleted()).isEqualTo(1);
    assertThat(single.getHeader().getRevision()).isEqualTo(r + 1);
    assertThat(single.getPrevKvs()).isEmpty();
    assertThat(await(kv.get(bytes("del/1"))).getCount()).isZero();

    DeleteResponse byPrefix =
        await(
            kv.delete(
                bytes("del/"), DeleteOption.builder().isPrefix(true).withPrevKV(true).build()));
    assertThat(byPrefix.getDeleted()).isEqualTo(1);
    assertThat(byPrefix.getHeader().getRevision()).isEqualTo(r + 2);
    assertThat(byPrefix.getPrevKvs()).hasSize(1);
    assertThat(byPrefix.getPrevKvs().get(0).getKey()).isEqualTo(bytes("del/2"));
    assertThat(byPrefix.getPrevKvs().get(0).getValue()).isEqualTo(bytes("two"));

    DeleteResponse nothing = await(kv.delete(bytes("del/missing")));
    assertThat(nothing.getDeleted()).isZero();
    assertThat(nothing.getHeader().getRevision())
        .as("a delete that removes nothing does not create a revision")
        .isEqualTo(r + 2);

    long again = await(kv.put(bytes("del/1"), bytes("again"))).getHeader().getRevision();
    assertThat(again).isEqualTo(r + 3);
    KeyValue recreated = single(await(kv.get(bytes("del/1"))));
    assertThat(recreated.getVersion()).isEqualTo(1);
    assertThat(recreated.getCreateRevision()).isEqualTo(r + 3);
  }

  @Test
  void txnCompareAndSwapTakesTheBranchItsCompareSelects() {
    long r = await(kv.put(bytes("cas/k"), bytes("old"))).getHeader().getRevision();

    TxnResponse swapped =
        await(
            kv.txn()
                .If(new Cmp(bytes("cas/k"), Cmp.Op.EQUAL, CmpTarget.value(bytes("old"))))
                .Then(Op.put(bytes("cas/k"), bytes("new"), PutOption.DEFAULT))
                .Else(Op.get(bytes("cas/k"), GetOption.DEFAULT))
                .commit());
    assertThat(swapped.isSucceeded()).isTrue();
    assertThat(swapped.getPutResponses()).hasSize(1);
    assertThat(swapped.getGetResponses()).isEmpty();
    assertThat(swapped.getHeader().getRevision()).isEqualTo(r + 1);

    TxnResponse lost =
        await(
            kv.txn()
                .If(new Cmp(bytes("cas/k"), Cmp.Op.EQUAL, CmpTarget.value(bytes("old"))))
                .Then(Op.put(bytes("cas/k"), bytes("newer"), PutOption.DEFAULT))
                .Else(Op.get(bytes("cas/k"), GetOption.DEFAULT))
                .commit());
    assertThat(lost.isSucceeded()).isFalse();
    assertThat(lost.getPutResponses()).isEmpty();
    assertThat(lost.getGetResponses()).hasSize(1);
    KeyValue current = lost.getGetResponses().get(0).getKvs().get(0);
    assertThat(current.getValue()).isEqualTo(bytes("new"));
    assertThat(current.getVersion()).isEqualTo(2);
    assertThat(current.getModRevision()).isEqualTo(r + 1);
    assertThat(lost.getHeader().getRevision())
        .as("a read-only branch creates no revision")
        .isEqualTo(r + 1);

    TxnResponse byVersion =
        await(
            kv.txn()
                .If(
                    new Cmp(bytes("cas/k"), Cmp.Op.EQUAL, CmpTarget.version(2)),
                    new Cmp(bytes("cas/k"), Cmp.Op.EQUAL, CmpTarget.modRevision(r + 1)))
                .Then(Op.delete(bytes("cas/k"), DeleteOption.DEFAULT))
                .commit());
    assertThat(byVersion.isSucceeded()).isTrue();
    assertThat(byVersion.getDeleteResponses()).hasSize(1);
    assertThat(byVersion.getDeleteResponses().get(0).getDeleted()).isEqualTo(1);

    // Create-if-absent: a missing key has create_revision 0.
    TxnResponse created =
        await(
            kv.txn()
                .If(new Cmp(bytes("cas/k"), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(
                    Op.put(bytes("cas/k"), bytes("fresh"), PutOption.DEFAULT),
                    Op.get(bytes("cas/k"), GetOption.DEFAULT))
                .commit());
    assertThat(created.isSucceeded()).isTrue();
    assertThat(created.getHeader().getRevision()).isEqualTo(r + 3);
    KeyValue fresh = created.getGetResponses().get(0).getKvs().get(0);
    assertThat(fresh.getValue()).isEqualTo(bytes("fresh"));
    assertThat(fresh.getCreateRevision()).isEqualTo(r + 3);
    assertThat(fresh.getVersion()).isEqualTo(1);
  }

  @Test
  void maintenanceStatusOfEveryMemberNamesTheSameLeader() {
    List<StatusResponse> statuses = new ArrayList<>();
    for (String endpoint : cluster.clientEndpoints()) {
      statuses.add(await(client.getMaintenanceClient().statusMember(endpoint)));
    }

    long leader = statuses.get(0).getLeader();
    assertThat(leader).isNotZero();
    Set<Long> memberIds = new HashSet<>();
    Set<Long> clusterIds = new HashSet<>();
    for (StatusResponse status : statuses) {
      assertThat(status.getLeader()).isEqualTo(leader);
      assertThat(status.getRaftTerm()).isPositive();
      assertThat(status.getRaftIndex()).isPositive();
      assertThat(status.getDbSize()).isNotNegative();
      memberIds.add(status.getHeader().getMemberId());
      clusterIds.add(status.getHeader().getClusterId());
    }
    assertThat(memberIds).hasSize(3).contains(leader).doesNotContain(0L);
    assertThat(clusterIds).hasSize(1).doesNotContain(0L);
  }

  @Test
  void clusterMemberListNamesEveryNodeWithItsClientUrl() {
    List<Member> members = await(client.getClusterClient().listMember()).getMembers();

    assertThat(members).hasSize(3);
    assertThat(members).extracting(Member::getId).doesNotHaveDuplicates().doesNotContain(0L);
    assertThat(members).noneMatch(Member::isLearner);
    assertThat(members).allSatisfy(m -> assertThat(m.getPeerURIs()).isNotEmpty());
    List<URI> clientUrls = members.stream().flatMap(m -> m.getClientURIs().stream()).toList();
    assertThat(clientUrls)
        .containsExactlyInAnyOrderElementsOf(
            cluster.clientEndpoints().stream().map(URI::create).toList());

    Set<Long> statusIds = new HashSet<>();
    for (int i = 0; i < cluster.size(); i++) {
      statusIds.add(cluster.memberId(i));
    }
    assertThat(members).extracting(Member::getId).containsExactlyInAnyOrderElementsOf(statusIds);
  }

  private static <T extends Response> T await(CompletableFuture<T> future) {
    try {
      return future.get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("jetcd call failed: " + e, e);
    }
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static KeyValue single(GetResponse response) {
    assertThat(response.getKvs()).hasSize(1);
    assertThat(response.getCount()).isEqualTo(1);
    return response.getKvs().get(0);
  }

  private static List<String> keys(GetResponse response) {
    return response.getKvs().stream()
        .map(k -> k.getKey().toString(StandardCharsets.UTF_8))
        .toList();
  }
}
