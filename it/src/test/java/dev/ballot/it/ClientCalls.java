package dev.ballot.it;

import dev.ballot.client.BallotClient;
import dev.ballot.client.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;

/**
 * Waits on {@link BallotClient} futures with a bound, so that a future the client never completes
 * fails the test instead of hanging it. The bound is the client's own deadline plus a margin: a
 * request must end, one way or the other, by its deadline.
 */
final class ClientCalls {
  /** How long past its deadline a request may take to report how it ended. */
  static final Duration COMPLETION_MARGIN = Duration.ofSeconds(5);

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private ClientCalls() {}

  /** A client of the given nodes, in that order, with the default deadline. */
  static BallotClient client(KvCluster cluster, int... nodes) {
    return client(cluster, REQUEST_TIMEOUT, nodes);
  }

  /** A client of the given nodes, in that order. */
  static BallotClient client(KvCluster cluster, Duration requestTimeout, int... nodes) {
    List<String> endpoints = IntStream.of(nodes).mapToObj(cluster::clientAddress).toList();
    return BallotClient.builder()
        .endpoints(endpoints)
        .requestTimeout(requestTimeout)
        .connectTimeout(Duration.ofSeconds(1))
        .build();
  }

  /** A client of every node, in node order. */
  static BallotClient clientOfAll(KvCluster cluster) {
    return client(cluster, IntStream.range(0, cluster.size()).toArray());
  }

  /** A key-value as the server must report it: UTF-8 key and value, no lease. */
  static KeyValue kv(String key, String value, long created, long modified, long version) {
    return new KeyValue(
        key.getBytes(StandardCharsets.UTF_8),
        value.getBytes(StandardCharsets.UTF_8),
        created,
        modified,
        version,
        0);
  }

  /** The future's value; its failure is rethrown as it is. */
  static <T> T value(CompletableFuture<T> future) {
    return value(future, REQUEST_TIMEOUT);
  }

  /** The future's value, for a client whose deadline is {@code requestTimeout}. */
  static <T> T value(CompletableFuture<T> future, Duration requestTimeout) {
    try {
      return future.get(requestTimeout.plus(COMPLETION_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      // The failure was made on a gRPC thread; keep where the test waited for it.
      e.getCause().addSuppressed(new Exception("awaited here"));
      throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          "the client did not complete a request within its deadline " + requestTimeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** What the future failed with; fails the test if it succeeded. */
  static Throwable failure(CompletableFuture<?> future, Duration requestTimeout) {
    Object result;
    try {
      result = value(future, requestTimeout);
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("the request was expected to fail; it returned " + result);
  }
}
