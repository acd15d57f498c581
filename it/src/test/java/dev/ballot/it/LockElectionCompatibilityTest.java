package dev.ballot.it;

import static dev.ballot.it.Jetcd.await;
import static dev.ballot.it.Jetcd.bytes;
import static dev.ballot.it.Jetcd.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Lock;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's Lock and Election services (v3lockpb, v3electionpb) through jetcd 0.8 and etcdctl 3.4's
 * {@code lock} and {@code elect}: a lock or leadership is a key under the name, owned by a lease,
 * and the next waiter gets it when the holder unlocks or resigns or its lease expires. Run with
 * {@code -Dballot.it.server=etcd} to check against etcd 3.4.
 */
class LockElectionCompatibilityTest {
  private static final long HOLDER_TTL_S = 30;
  private static final long SHORT_TTL_S = 2;
  private static final Duration WAIT_TIMEOUT = Duration.ofSeconds(15);
  private static final Pattern LOCK_ENV = Pattern.compile("^(\\S+) (\\d+)\n$");

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;
  private static KV kv;
  private static Lease lease;
  private static Lock lock;
  private static Election election;
  private static Etcdctl etcdctl;

  @BeforeAll
  static void startCluster() {
    Etcdctl.requireInstalled();
    cluster = clusters.start(3);
    client = Jetcd.client(cluster);
    kv = client.getKVClient();
    lease = client.getLeaseClient();
    lock = client.getLockClient();
    election = client.getElectionClient();
    etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void aSecondLockerWaitsUntilTheFirstUnlocks() {
    long firstLease = grant(HOLDER_TTL_S);
    long secondLease = grant(HOLDER_TTL_S);
    LockResponse first = await(lock.lock(bytes("lock/a"), firstLease));
    String firstKey = text(first.getKey());
    assertThat(firstKey).startsWith("lock/a/");
    assertThat(keyLease(firstKey)).isEqualTo(firstLease);

    CompletableFuture<LockResponse> second = lock.lock(bytes("lock/a"), secondLease);
    awaitKeysUnder("lock/a/", 2);
    assertThat(second).as("the lock is held").isNotDone();

    await(lock.unlock(first.getKey()));
    String secondKey = text(await(second).getKey());
    assertThat(secondKey).startsWith("lock/a/").isNotEqualTo(firstKey);
    assertThat(keysUnder("lock/a/")).containsExactly(secondKey);
    await(lock.unlock(bytes(secondKey)));
    assertThat(keysUnder("lock/a/")).isEmpty();
  }

  @Test
  void aSecondLockerGetsTheLockWhenTheHoldersLeaseExpires() {
    long holderLease = grant(SHORT_TTL_S);
    long waiterLease = grant(HOLDER_TTL_S);
    String holderKey = text(await(lock.lock(bytes("lock/b"), holderLease)).getKey());

    CompletableFuture<LockResponse> waiter = lock.lock(bytes("lock/b"), waiterLease);
    awaitKeysUnder("lock/b/", 2);
    assertThat(waiter).isNotDone();

    await().atMost(WAIT_TIMEOUT).until(waiter::isDone);
    String waiterKey = text(await(waiter).getKey());
    assertThat(keysUnder("lock/b/")).containsExactly(waiterKey).doesNotContain(holderKey);
    await(lock.unlock(bytes(waiterKey)));
  }

  @Test
  void campaignProclaimLeaderObserveAndResign() {
    long firstLease = grant(HOLDER_TTL_S);
    long secondLease = grant(HOLDER_TTL_S);
    CampaignResponse won = await(election.campaign(bytes("elect/e"), firstLease, bytes("p1")));
    LeaderKey leader = won.getLeader();
    assertThat(text(leader.getName())).isEqualTo("elect/e");
    assertThat(text(leader.getKey())).startsWith("elect/e/");
    assertThat(leader.getLease()).isEqualTo(firstLease);
    assertThat(leaderValue("elect/e")).isEqualTo("p1");

    List<String> observed = new CopyOnWriteArrayList<>();
    election.observe(
        bytes("elect/e"),
        new Election.Listener() {
          @Override
          public void onNext(LeaderResponse response) {
            observed.add(text(response.getKv().getValue()));
          }

          @Override
          public void onError(Throwable throwable) {}

          @Override
          public void onCompleted() {}
        });
    await().atMost(WAIT_TIMEOUT).until(() -> observed.contains("p1"));

    await(election.proclaim(leader, bytes("p2")));
    assertThat(leaderValue("elect/e")).isEqualTo("p2");
    await().atMost(WAIT_TIMEOUT).until(() -> observed.contains("p2"));

    CompletableFuture<CampaignResponse> second =
        election.campaign(bytes("elect/e"), secondLease, bytes("q1"));
    awaitKeysUnder("elect/e/", 2);
    assertThat(second).as("the first candidate leads").isNotDone();

    await(election.resign(leader));
    LeaderKey next = await(second).getLeader();
    assertThat(next.getLease()).isEqualTo(secondLease);
    assertThat(leaderValue("elect/e")).isEqualTo("q1");
    await().atMost(WAIT_TIMEOUT).until(() -> observed.contains("q1"));
    assertThat(observed).containsSubsequence("p1", "p2", "q1");
    await(election.resign(next));
  }

  @Test
  void etcdctlLockRunsTheCommandHoldingTheLockAndReleasesIt() {
    String out =
        etcdctl
            .run("lock", "ctlk/run", "--", "sh", "-c", "echo \"$ETCD_LOCK_KEY $ETCD_LOCK_REV\"")
            .requireSuccess()
            .stdout();
    Matcher env = LOCK_ENV.matcher(out);
    assertThat(env.matches()).as(out).isTrue();
    assertThat(env.group(1)).startsWith("ctlk/run/");
    assertThat(Long.parseLong(env.group(2))).isPositive();
    assertThat(keysUnder("ctlk/run/")).as("released after the command").isEmpty();
  }

  @Test
  void etcdctlLockWaitsForTheHolderToStop() {
    try (Etcdctl.Background holder = etcdctl.start("lock", "ctlk/wait")) {
      await()
          .atMost(WAIT_TIMEOUT)
          .failFast(
              "etcdctl lock ended",
              () -> assertThat(holder.isRunning()).as(holder::toString).isTrue())
          .until(() -> holder.stdout().startsWith("ctlk/wait/"));
      String heldKey = holder.stdout().split("\n")[0];
      assertThat(keysUnder("ctlk/wait/")).containsExactly(heldKey);

      try (Etcdctl.Background waiter = etcdctl.start("lock", "ctlk/wait", "--", "echo", "got it")) {
        awaitKeysUnder("ctlk/wait/", 2);
        assertThat(waiter.isRunning()).isTrue();
        assertThat(waiter.stdout()).isEmpty();

        holder.close(); // SIGTERM: etcdctl unlocks and ends its session
        assertThat(waiter.awaitExit()).as(waiter.toString()).isZero();
        assertThat(waiter.stdout()).isEqualTo("got it\n");
      }
    }
    await().atMost(WAIT_TIMEOUT).until(() -> keysUnder("ctlk/wait/").isEmpty());
  }

  @Test
  void etcdctlElectPrintsTheLeaderAndObserveFollowsIt() {
    try (Etcdctl.Background candidate = etcdctl.start("elect", "ctle/e", "first");
        Etcdctl.Background observer = etcdctl.start("elect", "-l", "ctle/e")) {
      await()
          .atMost(WAIT_TIMEOUT)
          .failFast(
              "etcdctl elect ended",
              () -> assertThat(candidate.isRunning()).as(candidate::toString).isTrue())
          .until(() -> candidate.stdout().matches("ctle/e/[0-9a-f]+\nfirst\n"));
      String leaderKey = candidate.stdout().split("\n")[0];
      await()
          .atMost(WAIT_TIMEOUT)
          .until(() -> observer.stdout().startsWith(leaderKey + "\nfirst\n"));
      assertThat(leaderValue("ctle/e")).isEqualTo("first");

      try (Etcdctl.Background next = etcdctl.start("elect", "ctle/e", "second")) {
        awaitKeysUnder("ctle/e/", 2);
        assertThat(next.stdout()).isEmpty();
        candidate.close(); // SIGTERM: etcdctl resigns
        await()
            .atMost(WAIT_TIMEOUT)
            .until(() -> next.stdout().matches("ctle/e/[0-9a-f]+\nsecond\n"));
        await().atMost(WAIT_TIMEOUT).until(() -> observer.stdout().endsWith("\nsecond\n"));
      }
    }
  }

  private static long grant(long ttlSeconds) {
    return await(lease.grant(ttlSeconds)).getID();
  }

  private static long keyLease(String key) {
    return await(kv.get(bytes(key))).getKvs().get(0).getLease();
  }

  private static String leaderValue(String name) {
    return text(await(election.leader(bytes(name))).getKv().getValue());
  }

  private static List<String> keysUnder(String prefix) {
    return await(kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()))
        .getKvs()
        .stream()
        .map(k -> text(k.getKey()))
        .toList();
  }

  /** Waits until a waiter's key is written: its request has reached the server and waits there. */
  private static void awaitKeysUnder(String prefix, int count) {
    await().atMost(WAIT_TIMEOUT).until(() -> keysUnder(prefix).size() == count);
  }
}
