package dev.ballot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.BallotClient;
import dev.ballot.client.LeaseGrant;
import dev.ballot.client.LeaseInfo;
import dev.ballot.client.PutOptions;
import dev.ballot.client.ResourceExhaustedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Leases on real processes: keys go when a lease expires without keep-alives and stay while it is
 * kept alive (also through a follower), a revoke deletes them in one revision, an expiry decided by
 * a new leader never comes before a full TTL since the last keep-alive, and leases survive a
 * restart of the whole cluster. etcdctl's lease commands work against Ballot. A lease holds at most
 * 128 MiB of keys and values (Ballot's own bound), and its revoke leaves every node serving.
 */
class LeaseTest {
  private static final Duration BOUND = Duration.ofSeconds(30);

  @RegisterExtension final Clusters clusters = new Clusters();

  private static BallotClient client(String... endpoints) {
    return BallotClient.builder()
        .endpoints(endpoints)
        .requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static boolean exists(BallotClient client, String key) {
    return client.get(key).join().isPresent();
  }

  @Test
  void aLeaseHoldsAtMost128MiBAndItsRevokeLeavesEveryNodeServing() {
    KvCluster cluster = clusters.start(3);
    List<String> endpoints = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      endpoints.add(cluster.clientAddress(i));
    }
    try (BallotClient client =
        BallotClient.builder()
            .endpoints(endpoints.toArray(String[]::new))
            .requestTimeout(Duration.ofSeconds(30))
            .build()) {
      long id = client.leases().grant(600).join().id();
      byte[] mib = new byte[1 << 20];
      PutOptions leased = PutOptions.DEFAULT.withLease(id);
      // 127 MiB and their keys: just under the bound.
      for (int i = 0; i < 127; i++) {
        client.put(("big/" + i).getBytes(UTF_8), mib, leased).join();
      }

      Throwable over =
          catchThrowable(() -> client.put("big/127".getBytes(UTF_8), mib, leased).join());
      if (cluster.flavor() == ServerFlavor.ETCD) {
        assertThat(over).as("etcd has no bound on a lease").isNull();
      } else {
        assertThat(over)
            .hasCauseInstanceOf(ResourceExhaustedException.class)
            .hasMessageContaining(
                "etcdserver: lease would hold more than 128 MiB of keys and values");
        assertThat(exists(client, "big/127")).isFalse();
      }

      // Everything the lease holds goes in one revoke, and every node still serves.
      client.leases().revoke(id).join();
      for (String endpoint : endpoints) {
        try (BallotClient one = client(endpoint)) {
          assertThat(exists(one, "big/0") || exists(one, "big/126")).as(endpoint).isFalse();
          one.put("after-revoke", endpoint).join();
        }
      }
    }
  }

  @Test
  void keysLiveWhileKeptAliveThroughAFollowerAndGoWhenTheLeaseExpiresOrIsRevoked()
      throws Exception {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();
    ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor();
    try (BallotClient viaFollower = client(cluster.clientAddress(follower))) {
      LeaseGrant kept = viaFollower.leases().grant(3).join();
      LeaseGrant left = viaFollower.leases().grant(3).join();
      long leftGrantedNanos = System.nanoTime();
      assertThat(kept.ttlSeconds()).isEqualTo(3);
      assertThat(kept.id()).isPositive().isNotEqualTo(left.id());
      viaFollower.put("kept-1", "v", PutOptions.DEFAULT.withLease(kept.id())).join();
      viaFollower.put("kept-2", "v", PutOptions.DEFAULT.withLease(kept.id())).join();
      viaFollower.put("left", "v", PutOptions.DEFAULT.withLease(left.id())).join();
      keeper.scheduleAtFixedRate(
          () -> viaFollower.leases().keepAliveOnce(kept.id()).join(), 0, 1, TimeUnit.SECONDS);

      await("the key of the lease without keep-alives to go")
          .atMost(BOUND)
          .until(() -> !exists(viaFollower, "left"));
      assertThat(System.nanoTime() - leftGrantedNanos)
          .as("the lease expired no sooner than its TTL")
          .isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(3));
      assertThat(viaFollower.leases().timeToLive(left.id(), false).join().exists()).isFalse();

      // Three TTLs of keep-alives through the follower: the keys stay.
      await("the kept lease's keys to stay")
          .during(Duration.ofSeconds(9))
          .atMost(Duration.ofSeconds(15))
          .until(() -> exists(viaFollower, "kept-1") && exists(viaFollower, "kept-2"));
      LeaseInfo info = viaFollower.leases().timeToLive(kept.id(), true).join();
      assertThat(info.grantedTtlSeconds()).isEqualTo(3);
      assertThat(info.remainingSeconds()).isBetween(0L, 3L);
      assertThat(info.keys().stream().map(k -> new String(k, UTF_8)))
          .containsExactly("kept-1", "kept-2");
      assertThat(viaFollower.leases().list().join()).containsExactly(kept.id());
      keeper.shutdownNow();
      assertThat(keeper.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

      viaFollower.put("unrelated", "v").join();
      long before = viaFollower.get("unrelated").join().orElseThrow().modRevision();
      long after = viaFollower.leases().revoke(kept.id()).join();
      assertThat(after).as("both keys deleted in one revision").isEqualTo(before + 1);
      assertThat(exists(viaFollower, "kept-1")).isFalse();
      assertThat(exists(viaFollower, "kept-2")).isFalse();
      assertThat(viaFollower.leases().list().join()).isEmpty();
    } finally {
      keeper.shutdownNow();
    }
  }

  @Test
  void aNewLeaderNeverExpiresALeaseBeforeItsTtlSinceTheLastKeepAlive() throws Exception {
    KvCluster cluster = clusters.start(3);
    int oldLeader = cluster.awaitLeader();
    long ttlNanos = TimeUnit.SECONDS.toNanos(5);
    ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor();
    AtomicLong lastKeepAliveSentNanos = new AtomicLong();
    try (BallotClient client = client(cluster.clientEndpoints().toArray(String[]::new))) {
      long grantedNanos = System.nanoTime();
      LeaseGrant lease = client.leases().grant(5).join();
      lastKeepAliveSentNanos.set(grantedNanos);
      client.put("held", "v", PutOptions.DEFAULT.withLease(lease.id())).join();
      keeper.scheduleAtFixedRate(
          () -> {
            long sent = System.nanoTime();
            if (client.leases().keepAliveOnce(lease.id()).join() > 0) {
              lastKeepAliveSentNanos.set(sent);
            }
          },
          0,
          1,
          TimeUnit.SECONDS);
      // Kept alive past its first TTL, then the leader dies and the keep-alives stop.
      await("keep-alives past the first TTL")
          .atMost(BOUND)
          .until(() -> lastKeepAliveSentNanos.get() - grantedNanos > ttlNanos);
      cluster.kill9(oldLeader);
      keeper.shutdownNow();
      assertThat(keeper.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      long lastSent = lastKeepAliveSentNanos.get();

      // Every read that came back before lastSent + TTL must have found the key.
      List<String> earlyMisses = new ArrayList<>();
      await("the key to go once the lease expired under the new leader")
          .atMost(BOUND)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                boolean present = exists(client, "held");
                long answeredNanos = System.nanoTime();
                if (!present && answeredNanos - (lastSent + ttlNanos) < 0) {
                  earlyMisses.add(
                      (answeredNanos - lastSent) / 1_000_000 + " ms after the last keep-alive");
                }
                return !present;
              });
      assertThat(earlyMisses).as("reads that found the key gone before its TTL").isEmpty();
      assertThat(cluster.awaitLeader(Set.of(oldLeader))).isNotEqualTo(oldLeader);
      assertThat(client.leases().timeToLive(lease.id(), false).join().exists()).isFalse();
    } finally {
      keeper.shutdownNow();
    }
  }

  @Test
  void etcdctlLeasesSurviveAFullRestart() {
    Etcdctl.requireInstalled();
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();
    Etcdctl etcdctl =
        new Etcdctl(cluster.clientAddress(follower), cluster.dir().resolve("etcdctl"));

    String granted = etcdctl.run("lease", "grant", "600").requireSuccess().stdout();
    assertThat(granted).matches("(?s)lease [0-9a-f]+ granted with TTL\\(600s\\)\\s*");
    String id = granted.split(" ")[1];
    etcdctl.run("put", "--lease=" + id, "on-lease", "v").requireSuccess();
    etcdctl.run("put", "plain", "v").requireSuccess();
    assertThat(etcdctl.run("lease", "keep-alive", "--once", id).requireSuccess().stdout())
        .contains("lease " + id + " keepalived with TTL(600)");

    cluster.kill9All();
    for (int i = 0; i < cluster.size(); i++) {
      cluster.restart(i);
    }
    cluster.awaitReady();

    assertThat(etcdctl.run("lease", "list").requireSuccess().stdout())
        .contains("found 1 leases", id);
    assertThat(etcdctl.run("lease", "timetolive", "--keys", id).requireSuccess().stdout())
        .contains("lease " + id + " granted with TTL(600s)", "attached keys([on-lease])");
    assertThat(etcdctl.run("lease", "revoke", id).requireSuccess().stdout())
        .contains("lease " + id + " revoked");
    assertThat(etcdctl.run("get", "on-lease").requireSuccess().stdout()).isEmpty();
    assertThat(etcdctl.run("get", "plain", "--print-value-only").requireSuccess().stdout())
        .contains("v");
    assertThat(etcdctl.run("lease", "timetolive", id).requireSuccess().stdout())
        .contains("lease " + id + " already expired");
    Etcdctl.Result missing = etcdctl.run("lease", "revoke", id);
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.stderr()).contains("etcdserver: requested lease not found");
    Etcdctl.Result unknownLease = etcdctl.run("put", "--lease=1234", "k", "v");
    assertThat(unknownLease.stderr()).contains("etcdserver: requested lease not found");
  }
}
