package dev.ballot.it;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.PutRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Writes {@code prefix-000001 = v1}, {@code prefix-000002 = v2}, ... one at a time on its own
 * thread, through whichever node answers, and records which writes were acknowledged. Each attempt
 * uses a new key, so a write whose outcome is unknown never hides behind a later success.
 */
final class AckedWriter implements AutoCloseable {
  private static final long MAX_WRITES = 1_000_000;
  private static final long PAUSE_AFTER_FAILURE_MS = 50;

  private final KvCluster cluster;
  private final String prefix;
  private final Duration writeDeadline;
  private final Thread thread;
  private final Map<String, String> acked = new LinkedHashMap<>();
  private final Map<Status.Code, Integer> failures = new EnumMap<>(Status.Code.class);
  private volatile boolean stopping;
  private int target;

  AckedWriter(KvCluster cluster, String prefix, Duration writeDeadline) {
    this.cluster = cluster;
    this.prefix = prefix;
    this.writeDeadline = writeDeadline;
    this.thread = new Thread(this::run, "acked-writer-" + prefix);
    this.thread.setDaemon(true);
  }

  static AckedWriter start(KvCluster cluster, String prefix) {
    AckedWriter writer = new AckedWriter(cluster, prefix, Duration.ofSeconds(2));
    writer.thread.start();
    return writer;
  }

  synchronized int ackedCount() {
    return acked.size();
  }

  synchronized Map<String, String> acked() {
    return new LinkedHashMap<>(acked);
  }

  synchronized Map<Status.Code, Integer> failures() {
    return new EnumMap<>(failures);
  }

  /** Waits until {@code more} writes beyond those acknowledged now are acknowledged. */
  void awaitMoreAcked(int more, Duration timeout) {
    int goal = ackedCount() + more;
    await("writer " + prefix + " to reach " + goal + " acknowledged writes")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              cluster.failOnUnexpectedExit();
              if (!thread.isAlive()) {
                throw new IllegalStateException("writer thread " + prefix + " has stopped");
              }
              return ackedCount() >= goal;
            });
  }

  /** Stops writing and returns what was acknowledged. */
  Map<String, String> stop() {
    stopping = true;
    try {
      thread.join(writeDeadline.toMillis() + 5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException("writer " + prefix + " did not stop");
    }
    return acked();
  }

  @Override
  public void close() {
    stopping = true;
  }

  private void run() {
    for (long seq = 1; seq <= MAX_WRITES && !stopping; seq++) {
      String key = String.format("%s-%06d", prefix, seq);
      String value = "v" + seq;
      int node = pickNode();
      if (node < 0) {
        pauseAfterFailure();
        continue;
      }
      try {
        cluster
            .kv(node)
            .withDeadlineAfter(writeDeadline.toMillis(), TimeUnit.MILLISECONDS)
            .put(
                PutRequest.newBuilder()
                    .setKey(Etcd.bytes(key))
                    .setValue(Etcd.bytes(value))
                    .build());
        synchronized (this) {
          acked.put(key, value);
        }
      } catch (StatusRuntimeException e) {
        synchronized (this) {
          failures.merge(e.getStatus().getCode(), 1, Integer::sum);
        }
        target++;
        pauseAfterFailure();
      } catch (IllegalStateException e) {
        // The node's channel was replaced by a restart between the pick and the call.
        target++;
      }
    }
  }

  /** The node written to last, or the next serving one after a failure. */
  private int pickNode() {
    List<Integer> serving = cluster.servingNodes();
    if (serving.isEmpty()) {
      return -1;
    }
    return serving.get(Math.floorMod(target, serving.size()));
  }

  private void pauseAfterFailure() {
    try {
      Thread.sleep(PAUSE_AFTER_FAILURE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }
}
