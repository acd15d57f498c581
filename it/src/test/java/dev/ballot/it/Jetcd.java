package dev.ballot.it;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** jetcd's {@link Client} on a cluster, and bounded waits on the futures it returns. */
final class Jetcd {
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private Jetcd() {}

  static Client client(KvCluster cluster) {
    return Client.builder().endpoints(cluster.clientEndpoints().toArray(String[]::new)).build();
  }

  /** A client of one member only (a lock or campaign call then waits on that member). */
  static Client clientOf(KvCluster cluster, int i) {
    return Client.builder().endpoints(cluster.clientEndpoints().get(i)).build();
  }

  static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  static String text(ByteSequence bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The result of a call that must succeed within {@link #CALL_TIMEOUT}. */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("jetcd call failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("jetcd call did not answer within " + CALL_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * The gRPC status of a call that must fail within {@link #CALL_TIMEOUT}: jetcd 0.8 passes the
   * server's status on as it came (code and etcd's message).
   */
  static Status failure(CompletableFuture<?> future) {
    try {
      Object result = future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected the call to fail, it answered " + result);
    } catch (ExecutionException e) {
      Status status = Status.fromThrowable(e.getCause());
      if (status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
        throw new AssertionError("expected a gRPC status, got " + e.getCause(), e.getCause());
      }
      return status;
    } catch (TimeoutException e) {
      throw new AssertionError("jetcd call did not answer within " + CALL_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
