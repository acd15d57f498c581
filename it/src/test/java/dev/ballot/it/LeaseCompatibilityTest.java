package dev.ballot.it;

import static dev.ballot.it.Jetcd.await;
import static dev.ballot.it.Jetcd.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ballot.etcd.api.LeaseGrpc;
import dev.ballot.etcd.api.LeaseLeasesRequest;
import dev.ballot.etcd.api.LeaseStatus;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's Lease through jetcd 0.8 and etcdctl 3.4: grant, keep-alive, time-to-live with the attached
 * keys, revoke, expiry deleting the keys, the lease list. etcd raises a TTL below its minimum (one
 * and a half election timeouts, rounded up to seconds: 1 s with the harness's 500 ms) to that
 * minimum; the TTLs here are at or above it. Run with {@code -Dballot.it.server=etcd} to check
 * against etcd 3.4.
 */
class LeaseCompatibilityTest {
  private static final long LONG_TTL_S = 30;
  private static final long SHORT_TTL_S = 2;
  private static final Duration EXPIRY_TIMEOUT = Duration.ofSeconds(SHORT_TTL_S + 10);
  private static final Pattern GRANTED =
      Pattern.compile("^lease ([0-9a-f]+) granted with TTL\\((\\d+)s\\)\n$");

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;
  private static KV kv;
  private static Lease lease;
  private static Etcdctl etcdctl;

  @BeforeAll
  static void startCluster() {
    Etcdctl.requireInstalled();
    cluster = clusters.start(3);
    client = Jetcd.client(cluster);
    kv = client.getKVClient();
    lease = client.getLeaseClient();
    etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void grantGivesTheAskedTtlAndTimeToLiveNamesTheAttachedKeys() {
    var granted = await(lease.grant(LONG_TTL_S));
    assertThat(granted.getID()).isPositive();
    assertThat(granted.getTTL()).isEqualTo(LONG_TTL_S);

    putWithLease("lt/a", granted.getID());
    putWithLease("lt/b", granted.getID());
    assertThat(await(kv.get(bytes("lt/a"))).getKvs().get(0).getLease()).isEqualTo(granted.getID());

    LeaseTimeToLiveResponse ttl =
        await(lease.timeToLive(granted.getID(), LeaseOption.builder().withAttachedKeys().build()));
    assertThat(ttl.getID()).isEqualTo(granted.getID());
    assertThat(ttl.getGrantedTTL()).isEqualTo(LONG_TTL_S);
    assertThat(ttl.getTTL()).isBetween(1L, LONG_TTL_S);
    assertThat(ttl.getKeys()).extracting(Jetcd::text).containsExactlyInAnyOrder("lt/a", "lt/b");

    LeaseTimeToLiveResponse withoutKeys =
        await(lease.timeToLive(granted.getID(), LeaseOption.DEFAULT));
    assertThat(withoutKeys.getKeys()).isEmpty();
  }

  @Test
  void keepAliveOnceAndTheKeepAliveStreamRenewTheTtl() {
    long id = await(lease.grant(LONG_TTL_S)).getID();
    LeaseKeepAliveResponse once = await(lease.keepAliveOnce(id));
    assertThat(once.getID()).isEqualTo(id);
    assertThat(once.getTTL()).isEqualTo(LONG_TTL_S);

    List<LeaseKeepAliveResponse> answers = new CopyOnWriteArrayList<>();
    try (CloseableClient keepAlive = lease.keepAlive(id, collect(answers))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !answers.isEmpty());
    }
    assertThat(answers.get(0).getID()).isEqualTo(id);
    assertThat(answers.get(0).getTTL()).isEqualTo(LONG_TTL_S);
  }

  @Test
  void aKeptAliveLeaseOutlivesItsTtlAndItsKeysStay() {
    long grantedAtNanos = System.nanoTime();
    long id = await(lease.grant(SHORT_TTL_S)).getID();
    putWithLease("lk/kept", id);
    List<LeaseKeepAliveResponse> answers = new CopyOnWriteArrayList<>();
    try (CloseableClient keepAlive = lease.keepAlive(id, collect(answers))) {
      // Past three TTLs with answers all along, the key must still be there.
      await()
          .atMost(Duration.ofSeconds(SHORT_TTL_S * 3 + 10))
          .until(
              () ->
                  answers.size() >= 3
                      && System.nanoTime() - grantedAtNanos
                          > TimeUnit.SECONDS.toNanos(SHORT_TTL_S * 3));
      assertThat(await(kv.get(bytes("lk/kept"))).getCount()).isEqualTo(1);
      assertThat(answers).allSatisfy(a -> assertThat(a.getTTL()).isEqualTo(SHORT_TTL_S));
    }
    await(lease.revoke(id));
  }

  @Test
  void revokeDeletesTheAttachedKeysAndTheLeaseIsGone() {
    long id = await(lease.grant(LONG_TTL_S)).getID();
    putWithLease("lr/a", id);
    putWithLease("lr/b", id);
    long before = await(kv.get(bytes("lr/a"))).getHeader().getRevision();

    long revokedAt = await(lease.revoke(id)).getHeader().getRevision();
    assertThat(revokedAt).as("revoking deletes the keys in one revision").isEqualTo(before + 1);
    assertThat(await(kv.get(bytes("lr/"), prefix())).getCount()).isZero();

    LeaseTimeToLiveResponse gone = await(lease.timeToLive(id, LeaseOption.DEFAULT));
    assertThat(gone.getTTL()).isEqualTo(-1);
    Status again = Jetcd.failure(lease.revoke(id));
    assertThat(again.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(again.getDescription()).isEqualTo("etcdserver: requested lease not found");
  }

  @Test
  void anExpiredLeaseDeletesItsKeys() {
    long id = await(lease.grant(SHORT_TTL_S)).getID();
    putWithLease("le/k", id);
    putWithLease("le/j", id);
    assertThat(await(kv.get(bytes("le/"), prefix())).getCount()).isEqualTo(2);

    await()
        .atMost(EXPIRY_TIMEOUT)
        .until(() -> await(kv.get(bytes("le/"), prefix())).getCount() == 0);
    assertThat(await(lease.timeToLive(id, LeaseOption.DEFAULT)).getTTL()).isEqualTo(-1);
  }

  @Test
  void aPutWithAnUnknownLeaseIsRefusedAndWritesNothing() {
    long before = await(kv.get(bytes("lu/k"))).getHeader().getRevision();
    Status refused =
        Jetcd.failure(
            kv.put(
                bytes("lu/k"), bytes("v"), PutOption.builder().withLeaseId(0x7fff1234L).build()));
    assertThat(refused.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(refused.getDescription()).isEqualTo("etcdserver: requested lease not found");
    var after = await(kv.get(bytes("lu/k")));
    assertThat(after.getCount()).isZero();
    assertThat(after.getHeader().getRevision()).isEqualTo(before);
  }

  @Test
  void leaseLeasesListsEveryLiveLease() {
    // jetcd has no LeaseLeases call: Ballot's generated stubs of the same rpc.proto.
    long first = await(lease.grant(LONG_TTL_S)).getID();
    long second = await(lease.grant(LONG_TTL_S)).getID();
    long revoked = await(lease.grant(LONG_TTL_S)).getID();
    await(lease.revoke(revoked));

    List<Long> ids =
        LeaseGrpc.newBlockingStub(cluster.channel(0))
            .withDeadlineAfter(Etcd.REQUEST_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .leaseLeases(LeaseLeasesRequest.getDefaultInstance())
            .getLeasesList()
            .stream()
            .map(LeaseStatus::getID)
            .toList();
    assertThat(ids).contains(first, second).doesNotContain(revoked);
  }

  @Test
  void etcdctlLeaseCommandsPrintWhatEtcdctlPrintsForEtcd() {
    String grant =
        etcdctl.run("lease", "grant", Long.toString(LONG_TTL_S)).requireSuccess().stdout();
    Matcher granted = GRANTED.matcher(grant);
    assertThat(granted.matches()).as(grant).isTrue();
    String id = granted.group(1);
    assertThat(granted.group(2)).isEqualTo(Long.toString(LONG_TTL_S));

    assertThat(etcdctl.run("put", "--lease=" + id, "ctll/k", "v").requireSuccess().stdout())
        .isEqualTo("OK\n");
    assertThat(etcdctl.run("lease", "timetolive", id, "--keys").requireSuccess().stdout())
        .matches(
            "lease "
                + id
                + " granted with TTL\\("
                + LONG_TTL_S
                + "s\\), remaining\\(\\d+s\\), attached keys\\(\\[ctll/k\\]\\)\n");
    assertThat(etcdctl.run("lease", "keep-alive", "--once", id).requireSuccess().stdout())
        .isEqualTo("lease " + id + " keepalived with TTL(" + LONG_TTL_S + ")\n");
    String list = etcdctl.run("lease", "list").requireSuccess().stdout();
    assertThat(list).startsWith("found ").contains("\n" + id + "\n");

    assertThat(etcdctl.run("lease", "revoke", id).requireSuccess().stdout())
        .isEqualTo("lease " + id + " revoked\n");
    assertThat(etcdctl.run("get", "ctll/k").requireSuccess().stdout()).isEmpty();
    assertThat(etcdctl.run("lease", "timetolive", id).requireSuccess().stdout())
        .isEqualTo("lease " + id + " already expired\n");
    Etcdctl.Result again = etcdctl.run("lease", "revoke", id);
    assertThat(again.exitCode()).isNotZero();
    assertThat(again.stderr())
        .contains("Error: failed to revoke lease (etcdserver: requested lease not found)");
  }

  private static void putWithLease(String key, long leaseId) {
    await(kv.put(bytes(key), bytes("value"), PutOption.builder().withLeaseId(leaseId).build()));
  }

  private static GetOption prefix() {
    return GetOption.builder().isPrefix(true).build();
  }

  private static StreamObserver<LeaseKeepAliveResponse> collect(
      List<LeaseKeepAliveResponse> answers) {
    return new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse response) {
        answers.add(response);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
