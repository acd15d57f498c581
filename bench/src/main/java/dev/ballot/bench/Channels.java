package dev.ballot.bench;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Plain-text gRPC channels to endpoints; each channel is its own TCP connection. */
public final class Channels {
  private static final long SHUTDOWN_WAIT_MS = 2_000;

  private Channels() {}

  /**
   * One channel to {@code endpoint}. Callbacks run on the network threads (direct executor): the
   * load generator's callbacks only record and send the next request, and never block.
   */
  public static ManagedChannel open(String endpoint) {
    return Grpc.newChannelBuilder(endpoint, InsecureChannelCredentials.create())
        .directExecutor()
        .userAgent("ballot-bench")
        .build();
  }

  /** {@code count} channels, the i-th to {@code endpoints[i % endpoints.size()]}. */
  public static List<ManagedChannel> openRoundRobin(List<String> endpoints, int count) {
    List<ManagedChannel> channels = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      channels.add(open(endpoints.get(i % endpoints.size())));
    }
    return channels;
  }

  public static void close(List<ManagedChannel> channels) {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(SHUTDOWN_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
