package dev.ballot.bench;

import java.time.Duration;
import java.util.List;

/**
 * One run of the load generator.
 *
 * @param clients requests kept in flight at all times
 * @param connections gRPC channels (one TCP connection each) the clients share round-robin
 * @param keys size of the key space the keys are drawn from
 * @param requestTimeout deadline of each request; a request past it counts as an error
 * @param seed seed of the clients' key choices
 */
public record LoadConfig(
    String system,
    String row,
    List<String> endpoints,
    Workload workload,
    int clients,
    int connections,
    Target target,
    Duration warmup,
    Duration duration,
    int valueSizeBytes,
    int keys,
    Duration requestTimeout,
    long seed) {

  public LoadConfig {
    endpoints = List.copyOf(endpoints);
    require(!endpoints.isEmpty(), "--endpoints: give at least one endpoint");
    require(clients >= 1, "--clients must be at least 1, not " + clients);
    require(connections >= 1, "--connections must be at least 1, not " + connections);
    require(!warmup.isNegative(), "--warmup must not be negative");
    require(!duration.isNegative() && !duration.isZero(), "--duration must be positive");
    require(valueSizeBytes >= 0, "--value-size must not be negative");
    require(keys >= 1, "--keys must be at least 1, not " + keys);
    require(requestTimeout.toMillis() > 0, "--timeout must be positive");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
