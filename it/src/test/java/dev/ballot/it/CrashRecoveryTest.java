package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Processes killed with SIGKILL come back with every acknowledged write. */
class CrashRecoveryTest {
  private static final Duration WRITES_BOUND = Duration.ofSeconds(30);
  private static final int CATCH_UP_WRITES = 1_000;
  static final int IN_FLIGHT_WRITES = 32;

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void wholeClusterKilledDuringWritesKeepsEveryAcknowledgedWrite() {
    KvCluster cluster = clusters.start(3);
    cluster.awaitLeader();

    Map<String, String> acked;
    try (AckedWriter writer = AckedWriter.start(cluster, "crash")) {
      writer.awaitMoreAcked(100, WRITES_BOUND);
      cluster.kill9All();
      acked = writer.stop();
    }

    for (int i = 0; i < cluster.size(); i++) {
      cluster.restart(i);
    }
    cluster.awaitReady();
    int leader = cluster.awaitLeader();

    assertThat(acked).hasSizeGreaterThanOrEqualTo(100);
    assertThat(Etcd.prefixContents(cluster.kv(leader), "crash-", false))
        .as("every write acknowledged before the crash")
        .containsAllEntriesOf(acked);
    Etcd.put(cluster.kv(leader), "after-crash", "ok");
    assertThat(Etcd.value(cluster.kv(leader), "after-crash", false)).isEqualTo("ok");
  }

  @Test
  void aKilledNodeLeavesNothingInItsTemporaryDirectory() throws IOException {
    KvCluster cluster = clusters.start(3);
    cluster.awaitLeader();
    Path tmp = Files.createDirectories(cluster.dir().resolve("node-0-tmp"));
    for (int start = 0; start < 3; start++) {
      cluster.restartWithJvmArgs(0, "-Djava.io.tmpdir=" + tmp);
      cluster.awaitReady();
      cluster.kill9(0);
    }
    try (Stream<Path> left = Files.list(tmp)) {
      assertThat(left)
          .as("what 3 starts of a node killed with SIGKILL left in its java.io.tmpdir")
          .isEmpty();
    }
  }

  @Test
  void nodeDownDuringManyWritesCatchesUpAfterRestart() throws InterruptedException {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int down = (leader + 1) % cluster.size();

    cluster.kill9(down);
    writeConcurrently(cluster, leader, "catchup-", CATCH_UP_WRITES);
    RangeResponse expected = Etcd.getPrefix(cluster.kv(leader), "catchup-", false);
    assertThat(expected.getKvsCount()).isEqualTo(CATCH_UP_WRITES);

    cluster.restart(down);
    cluster.awaitReady();
    await("node " + down + " to serve the same " + CATCH_UP_WRITES + " keys")
        .atMost(WRITES_BOUND)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                Etcd.getPrefix(cluster.kv(down), "catchup-", true).getKvsCount()
                    >= CATCH_UP_WRITES);

    RangeResponse caughtUp = Etcd.getPrefix(cluster.kv(down), "catchup-", true);
    assertThat(revisions(caughtUp.getKvsList()))
        .as("keys, values and revisions on the restarted node")
        .containsExactlyElementsOf(revisions(expected.getKvsList()));
    StatusResponse status = cluster.status(down);
    assertThat(status.getLeader()).isEqualTo(cluster.memberId(cluster.awaitLeader(Set.of())));
  }

  /** Writes {@code count} keys through node {@code node}, {@value #IN_FLIGHT_WRITES} at a time. */
  static void writeConcurrently(KvCluster cluster, int node, String prefix, int count)
      throws InterruptedException {
    writeConcurrently(cluster, node, prefix, count, i -> "value-" + i);
  }

  /** As above, with the value of the i-th key given by {@code value}. */
  static void writeConcurrently(
      KvCluster cluster, int node, String prefix, int count, IntFunction<String> value)
      throws InterruptedException {
    KVGrpc.KVStub stub = KVGrpc.newStub(cluster.channel(node));
    Semaphore window = new Semaphore(IN_FLIGHT_WRITES);
    CountDownLatch done = new CountDownLatch(count);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < count && failure.get() == null; i++) {
      if (!window.tryAcquire(15, TimeUnit.SECONDS)) {
        throw new AssertionError("no write completed within 15 s after " + i + " writes");
      }
      PutRequest request =
          PutRequest.newBuilder()
              .setKey(Etcd.bytes(String.format("%s%05d", prefix, i)))
              .setValue(Etcd.bytes(value.apply(i)))
              .build();
      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(
              request,
              new StreamObserver<>() {
                @Override
                public void onNext(PutResponse response) {}

                @Override
                public void onError(Throwable t) {
                  failure.compareAndSet(null, t);
                  window.release();
                  done.countDown();
                }

                @Override
                public void onCompleted() {
                  window.release();
                  done.countDown();
                }
              });
    }
    if (failure.get() != null) {
      throw new AssertionError("a write failed", failure.get());
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).as("all writes completed").isTrue();
    if (failure.get() != null) {
      throw new AssertionError("a write failed", failure.get());
    }
  }

  static List<String> revisions(List<KeyValue> kvs) {
    return kvs.stream()
        .map(
            kv ->
                kv.getKey().toStringUtf8()
                    + "="
                    + kv.getValue().toStringUtf8()
                    + "@"
                    + kv.getCreateRevision()
                    + "/"
                    + kv.getModRevision()
                    + "/v"
                    + kv.getVersion())
        .toList();
  }
}
