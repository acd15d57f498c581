package dev.ballot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.lock.LockGrpc;
import dev.ballot.etcd.lock.LockRequest;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's Lock service (v3lock) through jetcd, kvctl lock and etcdctl lock against a 3-node cluster:
 * mutual exclusion, hand-over on unlock, revoke and expiry, a cancelled waiter leaving the queue,
 * and fencing tokens refusing a holder paused (SIGSTOP) past its lease.
 */
class LockTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
    client = jetcd(cluster.clientEndpoints().toArray(String[]::new));
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  private static Client jetcd(String... endpoints) {
    return Client.builder().endpoints(endpoints).build();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private static long grant(Client c, long ttlSeconds) throws Exception {
    return c.getLeaseClient().grant(ttlSeconds).get(10, TimeUnit.SECONDS).getID();
  }

  private static long createRevision(ByteSequence key) throws Exception {
    List<KeyValue> kvs = client.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs();
    assertThat(kvs).as("lock key %s", key).hasSize(1);
    return kvs.get(0).getCreateRevision();
  }

  private static List<KeyValue> queue(String name) throws Exception {
    ByteSequence prefix = bytes(name + "/");
    return client
        .getKVClient()
        .get(prefix, GetOption.builder().isPrefix(true).build())
        .get(10, TimeUnit.SECONDS)
        .getKvs();
  }

  /** One holding of the lock, by the clock of this JVM. */
  private record Holding(long startNanos, long endNanos, long token) {}

  @Test
  void clientsOnEveryNodeHoldTheLockOneAtATimeWithRisingTokens() throws Exception {
    int clients = 3;
    int rounds = 5;
    ByteSequence counter = bytes("mutex-counter");
    client.getKVClient().put(counter, bytes("0")).get(10, TimeUnit.SECONDS);
    List<Holding> holdings = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Client own = jetcd(cluster.clientEndpoints().get(i));
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                try (own) {
                  for (int round = 0; round < rounds; round++) {
                    long lease = grant(own, 10);
                    ByteSequence key =
                        own.getLockClient()
                            .lock(bytes("mutex"), lease)
                            .get(WAIT.toSeconds(), TimeUnit.SECONDS)
                            .getKey();
                    long start = System.nanoTime();
                    // A read-modify-write that loses increments if two clients overlap.
                    String value =
                        own.getKVClient()
                            .get(counter)
                            .get(10, TimeUnit.SECONDS)
                            .getKvs()
                            .get(0)
                            .getValue()
                            .toString(UTF_8);
                    own.getKVClient()
                        .put(counter, bytes(Long.toString(Long.parseLong(value) + 1)))
                        .get(10, TimeUnit.SECONDS);
                    long token = createRevision(key);
                    long end = System.nanoTime();
                    holdings.add(new Holding(start, end, token));
                    own.getLockClient().unlock(key).get(10, TimeUnit.SECONDS);
                    own.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
                  }
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              }));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

    assertThat(client.getKVClient().get(counter).get().getKvs().get(0).getValue().toString(UTF_8))
        .isEqualTo(Integer.toString(clients * rounds));
    List<Holding> ordered = new ArrayList<>(holdings);
    ordered.sort(Comparator.comparingLong(Holding::startNanos));
    for (int i = 1; i < ordered.size(); i++) {
      Holding before = ordered.get(i - 1);
      Holding after = ordered.get(i);
      assertThat(after.startNanos())
          .as("holding %d starts after %d ends", i, i - 1)
          .isGreaterThan(before.endNanos());
      assertThat(after.token()).as("fencing token of holding %d", i).isGreaterThan(before.token());
    }
    assertThat(queue("mutex")).isEmpty();
  }

  @Test
  void aWaitingLockerGetsTheLockWhenTheHoldersLeaseIsRevoked() throws Exception {
    long holderLease = grant(client, 30);
    ByteSequence held = client.getLockClient().lock(bytes("revoked"), holderLease).get().getKey();
    assertThat(held.toString(UTF_8)).isEqualTo("revoked/" + Long.toHexString(holderLease));

    long waiterLease = grant(client, 30);
    var waiting = client.getLockClient().lock(bytes("revoked"), waiterLease);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !waiting.isDone());

    client.getLeaseClient().revoke(holderLease).get();
    ByteSequence next = waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS).getKey();
    assertThat(next.toString(UTF_8)).isEqualTo("revoked/" + Long.toHexString(waiterLease));
    assertThat(queue("revoked"))
        .extracting(kv -> kv.getKey().toString(UTF_8))
        .containsExactly(next.toString(UTF_8));
    client.getLockClient().unlock(next).get();
    assertThat(queue("revoked")).isEmpty();
  }

  @Test
  void aWaitingLockerGetsTheLockWhenTheHoldersLeaseExpires() throws Exception {
    long holderLease = grant(client, 2); // never kept alive
    ByteSequence held = client.getLockClient().lock(bytes("expired"), holderLease).get().getKey();
    long waiterLease = grant(client, 30);
    long before = System.nanoTime();
    ByteSequence next =
        client
            .getLockClient()
            .lock(bytes("expired"), waiterLease)
            .get(WAIT.toSeconds(), TimeUnit.SECONDS)
            .getKey();
    assertThat(System.nanoTime() - before).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1000));
    assertThat(client.getKVClient().get(held).get().getKvs()).isEmpty();
    assertThat(createRevision(next)).isGreaterThan(0);
    client.getLockClient().unlock(next).get();
  }

  @Test
  void aWaiterWhoseDeadlinePassesLeavesTheQueue() throws Exception {
    long holderLease = grant(client, 30);
    ByteSequence held = client.getLockClient().lock(bytes("impatient"), holderLease).get().getKey();
    long waiterLease = grant(client, 30);
    var stub = LockGrpc.newBlockingStub(cluster.channel(1)).withDeadlineAfter(1, TimeUnit.SECONDS);
    LockRequest request =
        LockRequest.newBuilder()
            .setName(ByteString.copyFromUtf8("impatient"))
            .setLease(waiterLease)
            .build();
    assertThatThrownBy(() -> stub.lock(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    // As etcd: the server deletes the waiter's key once the call ends without the lock.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(queue("impatient"))
                    .extracting(kv -> kv.getKey().toString(UTF_8))
                    .containsExactly(held.toString(UTF_8)));
    client.getLockClient().unlock(held).get();
  }

  @Test
  void lockingWithALeaseThatDoesNotExistFails() {
    assertThatThrownBy(() -> client.getLockClient().lock(bytes("nolease"), 0x7eadbeefL).get())
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("etcdserver: requested lease not found");
  }

  @Test
  void aWaitingLockEndsWhenItsOwnLeaseExpires() throws Exception {
    // etcd 3.4 waits on and later answers with a key that no longer exists; Ballot ends the wait.
    Assumptions.assumeTrue(cluster.flavor() == ServerFlavor.KVSERVER, "Ballot's behaviour");
    long holderLease = grant(client, 30);
    ByteSequence held = client.getLockClient().lock(bytes("lost"), holderLease).get().getKey();
    long waiterLease = grant(client, 2);
    assertThatThrownBy(
            () ->
                client
                    .getLockClient()
                    .lock(bytes("lost"), waiterLease)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("mutex: session is expired");
    assertThat(queue("lost"))
        .extracting(kv -> kv.getKey().toString(UTF_8))
        .containsExactly(held.toString(UTF_8));
    client.getLockClient().unlock(held).get();
  }

  @Test
  void fencingTokensRefuseAHolderPausedPastItsLease() throws Exception {
    Etcdctl.requireInstalled();
    Path dir = Files.createDirectories(cluster.dir().resolve("fenced"));
    Path token = dir.resolve("token");
    Path go = dir.resolve("go");
    Path txnOut = dir.resolve("txn.out");
    String endpoints = cluster.clientEndpointsCsv();
    // The holder's command: report its token, wait to be told to write, then write the resource
    // with a transaction that only succeeds while its lock key is the one its token names.
    String script =
        "echo \"$BALLOT_LOCK_REV\" > "
            + token
            + ".tmp && mv "
            + token
            + ".tmp "
            + token
            + "; while [ ! -e "
            + go
            + " ]; do sleep 0.05; done; printf 'c(\"%s\") = \"%s\"\\n\\nput fenced/resource stale-%s\\n\\n\\n'"
            + " \"$ETCD_LOCK_KEY\" \"$BALLOT_LOCK_REV\" \"$BALLOT_LOCK_REV\" | ETCDCTL_API=3 etcdctl"
            + " --endpoints="
            + endpoints
            + " txn > "
            + txnOut;
    Process holder =
        Kvctls.start(
            dir,
            "--endpoints",
            endpoints,
            "lock",
            "fenced",
            "--ttl",
            "2",
            "--",
            "sh",
            "-c",
            script);
    try {
      await().atMost(WAIT).until(() -> Files.exists(token));
      long staleToken = Long.parseLong(Files.readString(token).trim());

      Kvctls.signalGroup(holder, "STOP"); // kvctl and its command: no keep-alive, no write
      long lease = grant(client, 30);
      ByteSequence key =
          client
              .getLockClient()
              .lock(bytes("fenced"), lease)
              .get(WAIT.toSeconds(), TimeUnit.SECONDS)
              .getKey();
      long freshToken = createRevision(key);
      assertThat(freshToken).isGreaterThan(staleToken);
      boolean written =
          client
              .getKVClient()
              .txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(freshToken)))
              .Then(
                  Op.put(bytes("fenced/resource"), bytes("fresh-" + freshToken), PutOption.DEFAULT))
              .commit()
              .get()
              .isSucceeded();
      assertThat(written).isTrue();

      Kvctls.signalGroup(holder, "CONT"); // wakes up still believing it holds the lock
      Files.createFile(go);
      assertThat(holder.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(txnOut)).startsWith("FAILURE");
      assertThat(
              client
                  .getKVClient()
                  .get(bytes("fenced/resource"))
                  .get()
                  .getKvs()
                  .get(0)
                  .getValue()
                  .toString(UTF_8))
          .isEqualTo("fresh-" + freshToken);
      client.getLockClient().unlock(key).get();
    } finally {
      Kvctls.signalGroup(holder, "CONT");
      holder.destroyForcibly();
    }
  }

  @Test
  void kvctlLockRunsTheCommandWithTheLockKeyAndTokenAndExitsWithItsCode() throws Exception {
    Path dir = Files.createDirectories(cluster.dir().resolve("kvctl-lock"));
    Path env = dir.resolve("env");
    Process run =
        Kvctls.start(
            dir,
            "--endpoints",
            cluster.clientEndpointsCsv(),
            "lock",
            "kvctl-lock",
            "--",
            "sh",
            "-c",
            "echo \"$ETCD_LOCK_KEY $ETCD_LOCK_REV $BALLOT_LOCK_REV\" > " + env + "; exit 7");
    assertThat(run.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).isEqualTo(7);
    String[] fields = Files.readString(env).trim().split(" ");
    assertThat(fields[0]).matches("kvctl-lock/[0-9a-f]+");
    assertThat(Long.parseLong(fields[1])).isGreaterThanOrEqualTo(Long.parseLong(fields[2]));
    assertThat(queue("kvctl-lock")).isEmpty(); // released on exit
  }

  @Test
  void etcdctlLockRunsTheCommandHoldingTheLock() throws Exception {
    Etcdctl.requireInstalled();
    Etcdctl etcdctl = new Etcdctl(cluster.clientEndpointsCsv(), cluster.dir().resolve("etcdctl"));
    Etcdctl.Result result =
        etcdctl
            .run("lock", "ctl-lock", "--", "sh", "-c", "echo \"$ETCD_LOCK_KEY $ETCD_LOCK_REV\"")
            .requireSuccess();
    assertThat(result.stdout()).matches("ctl-lock/[0-9a-f]+ [0-9]+\n");
    assertThat(queue("ctl-lock")).isEmpty();
  }
}
