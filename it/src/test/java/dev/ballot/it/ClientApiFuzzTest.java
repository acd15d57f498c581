package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.HashKVRequest;
import dev.ballot.etcd.api.HashKVResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.StatusRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fuzzes the client API of a real 3-node cluster: generated and mutated requests of every etcd
 * method ({@link RequestFuzzer}) through raw gRPC calls to random nodes, raw TCP garbage to client
 * and peer ports ({@link WireGarbage}), and between them puts of known keys whose acknowledged
 * values are recorded ({@link AckedPuts}). Afterwards every node must still run and answer Status,
 * reach the same applied index, hash its key-value state (HashKV) to the same value at the same
 * revision, and serve every acknowledged write with its last acknowledged value.
 *
 * <p>One seed fixes the sequence of calls (timing still varies): a run prints it, and {@code
 * -Dballot.fuzz.seed=N} replays it. {@code -Dballot.fuzz.seconds} sets the length (default 40);
 * {@code scripts/fuzz.sh --seconds 1800} is the long run.
 */
class ClientApiFuzzTest {
  private static final Duration CALL_DEADLINE = Duration.ofSeconds(5);
  private static final Duration CONVERGENCE_TIMEOUT = Duration.ofSeconds(60);
  private static final int ACKED_KEYS = 32;
  private static final int RECENT_CALLS = 30;
  private static final int LIVENESS_CHECK_EVERY_CALLS = 25;

  @RegisterExtension final Clusters clusters = new Clusters();

  private KvCluster cluster;
  private final Deque<String> recentCalls = new ArrayDeque<>();
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private long seed;

  @Test
  void fuzzedRequestsLeaveEveryNodeUpWithTheSameDataAndEveryAcknowledgedWrite() throws Exception {
    seed = Long.getLong("ballot.fuzz.seed", ThreadLocalRandom.current().nextLong());
    long seconds = Long.getLong("ballot.fuzz.seconds", 40);
    System.out.println(
        "ClientApiFuzzTest seed="
            + seed
            + " seconds="
            + seconds
            + " (replay with -Dballot.fuzz.seed="
            + seed
            + ")");
    cluster = clusters.start(3);
    List<Long> memberIds = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      memberIds.add(cluster.memberId(i));
    }

    Random random = new Random(seed);
    RequestFuzzer fuzzer = new RequestFuzzer(random, memberIds);
    WireGarbage garbage = new WireGarbage(random);
    FuzzGuard guard = new FuzzGuard(Set.copyOf(memberIds), cluster.flavor().joinsByRegistration());
    AckedPuts acked = new AckedPuts();

    long endNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int calls = 0;
    while (System.nanoTime() < endNanos) {
      calls++;
      int node = random.nextInt(cluster.size());
      int kind = random.nextInt(100);
      if (kind < 20) {
        ackedPut(calls, node, AckedPuts.key(random.nextInt(ACKED_KEYS)), acked);
      } else if (kind < 24) {
        boolean peer = random.nextInt(3) == 0;
        int port = peer ? peerPort(node) : clientPort(node);
        String path = peer ? "/ballot.raft.v1.RaftPeer/Discover" : "/" + RawCalls.PUT.name();
        try {
          String what = garbage.send(port, path);
          remember(calls, node, (peer ? "peer port: " : "client port: ") + what);
          count("tcp garbage");
        } catch (IOException e) {
          remember(calls, node, "tcp connection failed: " + e);
          count("tcp connection failed");
        }
      } else {
        fuzz(calls, node, fuzzer.next(), guard);
      }
      if (calls % LIVENESS_CHECK_EVERY_CALLS == 0) {
        checkNoNodeExited();
      }
    }
    checkNoNodeExited();
    System.out.println(
        "ClientApiFuzzTest seed="
            + seed
            + " calls="
            + calls
            + " acknowledged puts="
            + acked.acknowledgedCount()
            + " uncertain puts="
            + acked.uncertainCount()
            + " outcomes="
            + outcomes);

    assertEveryNodeAnswersStatus();
    assertSameStateOnEveryNode();
    assertEveryAcknowledgedWriteReadable(acked);
    assertThat(acked.acknowledgedCount()).as("acknowledged puts").isPositive();
  }

  private void fuzz(int call, int node, RequestFuzzer.Call request, FuzzGuard guard) {
    String refusal = guard.refusal(request.method(), request.body());
    if (refusal != null) {
      count("not sent: " + refusal);
      return;
    }
    remember(call, node, request.method().name() + " " + request.description());
    try {
      RawCalls.call(cluster.channel(node), request.method(), request.body(), CALL_DEADLINE);
      count("OK");
    } catch (StatusRuntimeException e) {
      count(e.getStatus().getCode().name());
    }
  }

  private void ackedPut(int call, int node, ByteString key, AckedPuts acked) {
    String value = "v" + call;
    remember(call, node, "acked put " + key.toStringUtf8() + "=" + value);
    try {
      KVGrpc.newBlockingStub(cluster.channel(node))
          .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .put(
              PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFromUtf8(value)).build());
      acked.acknowledged(key, value);
      count("acked put OK");
    } catch (StatusRuntimeException e) {
      acked.uncertain(key, value);
      count("acked put " + e.getStatus().getCode().name());
    }
  }

  // ---- checks --------------------------------------------------------------------------------

  private void checkNoNodeExited() {
    try {
      cluster.failOnUnexpectedExit();
    } catch (IllegalStateException e) {
      throw new AssertionError(
          "seed " + seed + ": a node exited; the last calls, oldest first:\n" + recentText(), e);
    }
  }

  private void assertEveryNodeAnswersStatus() {
    for (int i = 0; i < cluster.size(); i++) {
      int node = i;
      assertThat(cluster.isRunning(node)).as("node %d runs", node).isTrue();
      await("node " + node + " to answer Status (seed " + seed + ")")
          .atMost(CONVERGENCE_TIMEOUT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> cluster.tryStatus(node).isPresent());
    }
  }

  /**
   * Waits until every node has applied the same index and hashes at one revision, then requires one
   * hash: the same data on every node.
   */
  private void assertSameStateOnEveryNode() {
    List<HashKVResponse> hashes = new ArrayList<>();
    await("every node at one applied index and revision (seed " + seed + ")")
        .atMost(CONVERGENCE_TIMEOUT)
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () -> {
              Set<Long> applied = new HashSet<>();
              for (int i = 0; i < cluster.size(); i++) {
                applied.add(
                    MaintenanceGrpc.newBlockingStub(cluster.channel(i))
                        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .status(StatusRequest.getDefaultInstance())
                        .getRaftAppliedIndex());
              }
              assertThat(applied).as("applied indexes").hasSize(1);
              hashes.clear();
              for (int i = 0; i < cluster.size(); i++) {
                hashes.add(
                    MaintenanceGrpc.newBlockingStub(cluster.channel(i))
                        .withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .hashKV(HashKVRequest.getDefaultInstance()));
              }
              assertThat(hashes.stream().map(h -> h.getHeader().getRevision()).distinct())
                  .as("revisions hashed")
                  .hasSize(1);
            });
    assertThat(hashes.stream().map(HashKVResponse::getHash).distinct().toList())
        .as(
            "HashKV of every node at revision %d (seed %d): %s",
            hashes.get(0).getHeader().getRevision(),
            seed,
            hashes.stream()
                .map(h -> h.getHeader().getMemberId() + "=" + Integer.toUnsignedString(h.getHash()))
                .collect(Collectors.joining(", ")))
        .hasSize(1);
  }

  private void assertEveryAcknowledgedWriteReadable(AckedPuts acked) {
    List<String> violations = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      KVGrpc.KVBlockingStub kv =
          KVGrpc.newBlockingStub(cluster.channel(node))
              .withDeadlineAfter(CONVERGENCE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      for (String key : acked.keys()) {
        RangeResponse response =
            kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build());
        Optional<String> actual =
            response.getKvsList().stream().findFirst().map(r -> r.getValue().toStringUtf8());
        String violation = acked.violation(key, actual);
        if (violation != null) {
          violations.add("node " + node + " key " + key + ": " + violation);
        }
      }
    }
    assertThat(violations).as("acknowledged writes (seed %d)", seed).isEmpty();
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  private void remember(int call, int node, String what) {
    if (recentCalls.size() == RECENT_CALLS) {
      recentCalls.removeFirst();
    }
    recentCalls.addLast("#" + call + " node " + node + ": " + what);
  }

  private String recentText() {
    return String.join("\n", recentCalls);
  }

  private void count(String outcome) {
    outcomes.merge(outcome, 1, Integer::sum);
  }

  private int clientPort(int node) {
    String address = cluster.clientAddress(node);
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  private int peerPort(int node) {
    String address = cluster.peerAddress(node);
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }
}
