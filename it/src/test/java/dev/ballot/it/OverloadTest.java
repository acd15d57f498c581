package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A flood of the largest writes etcd accepts, far more than a node's heap (256 MiB here), sent
 * faster than the disk takes them: every node must stay up with its bounded queues and in-memory
 * log, answer what it cannot take with {@code etcdserver: too many requests}, keep every write it
 * acknowledged, and keep serving afterwards.
 */
class OverloadTest {
  private static final int VALUE_BYTES = 1400 * 1024;
  private static final int IN_FLIGHT = 48;
  private static final Duration FLOOD = Duration.ofSeconds(20);

  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void aFloodOfLargeWritesIsServedOrRefusedAndEveryNodeStaysUpWithItsWrites() throws Exception {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    StatusResponse before = cluster.status(leader);
    ByteString value = ByteString.copyFrom(new byte[VALUE_BYTES]);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    KVGrpc.KVStub kv = KVGrpc.newStub(cluster.channel(leader));

    long end = System.nanoTime() + FLOOD.toNanos();
    for (int n = 0; System.nanoTime() < end; n++) {
      inFlight.acquire();
      String key = String.format("flood/%06d", n);
      kv.withDeadlineAfter(10, TimeUnit.SECONDS)
          .put(
              PutRequest.newBuilder().setKey(Etcd.bytes(key)).setValue(value).build(),
              new StreamObserver<>() {
                @Override
                public void onNext(PutResponse response) {
                  acknowledged.add(key);
                }

                @Override
                public void onError(Throwable t) {
                  Status s = Status.fromThrowable(t);
                  refusals
                      .computeIfAbsent(
                          s.getCode() + " " + s.getDescription(), k -> new AtomicLong())
                      .incrementAndGet();
                  inFlight.release();
                }

                @Override
                public void onCompleted() {
                  inFlight.release();
                }
              });
    }
    assertThat(inFlight.tryAcquire(IN_FLIGHT, 60, TimeUnit.SECONDS))
        .as("every put answered")
        .isTrue();

    long acknowledgedMiB = (long) acknowledged.size() * VALUE_BYTES >> 20;
    System.out.printf(
        "overload: %d puts acknowledged (%d MiB), refusals %s%n",
        acknowledged.size(), acknowledgedMiB, new TreeMap<>(refusals));
    cluster.failOnUnexpectedExit();
    assertThat(acknowledged).as("writes got through").isNotEmpty();
    assertThat(refusals.keySet())
        .as("what a write was answered with, when not OK")
        .allMatch(
            r ->
                r.equals("RESOURCE_EXHAUSTED etcdserver: too many requests")
                    // A definite "not now" or an unknown outcome, e.g. if a slow sync on this
                    // loaded machine cost the leader its term; never a failure of the node.
                    || r.startsWith("UNAVAILABLE etcdserver: ")
                    || r.startsWith("DEADLINE_EXCEEDED"));

    // Every node keeps serving, with every acknowledged write.
    for (int node = 0; node < cluster.size(); node++) {
      Etcd.put(cluster.kv(node), "after-flood-" + node, "ok");
      Set<String> keys = new java.util.HashSet<>();
      Etcd.withDeadline(cluster.kv(node), Etcd.REQUEST_DEADLINE)
          .range(
              RangeRequest.newBuilder()
                  .setKey(Etcd.bytes("flood/"))
                  .setRangeEnd(Etcd.prefixEnd(Etcd.bytes("flood/")))
                  .setKeysOnly(true)
                  .build())
          .getKvsList()
          .forEach(k -> keys.add(k.getKey().toStringUtf8()));
      assertThat(keys).as("acknowledged writes on node %d", node).containsAll(acknowledged);
    }
    StatusResponse after = cluster.status(leader);
    System.out.printf(
        "overload: term %d -> %d, leader %d -> %d%n",
        before.getRaftTerm(), after.getRaftTerm(), before.getLeader(), after.getLeader());
  }
}
