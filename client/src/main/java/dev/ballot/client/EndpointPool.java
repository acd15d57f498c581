package dev.ballot.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The configured endpoints, one channel each, and the one requests go to first: the client sticks
 * to an endpoint that works and moves on when one fails.
 *
 * <p>Also keeps channels to endpoints outside the configured list, opened on demand for {@link
 * BallotClient#status(String)} (for example the client URLs of every member).
 */
final class EndpointPool {
  /** Bound on channels opened for status calls to endpoints that are not in the list. */
  static final int MAX_EXTRA_ENDPOINTS = 64;

  private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

  /** One endpoint: its canonical address and its channel. */
  record Endpoint(String address, ManagedChannel channel) {}

  private final List<Endpoint> endpoints;
  private final Map<String, Endpoint> extraEndpoints = new ConcurrentHashMap<>();
  private final AtomicInteger preferredIndex = new AtomicInteger();
  private final Duration connectTimeout;
  private final int maxInboundMessageBytes;

  EndpointPool(List<String> addresses, Duration connectTimeout, int maxInboundMessageBytes) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    this.connectTimeout = connectTimeout;
    this.maxInboundMessageBytes = maxInboundMessageBytes;
    List<Endpoint> opened = new ArrayList<>(addresses.size());
    for (String address : addresses) {
      EndpointAddress parsed = EndpointAddress.parse(address);
      boolean duplicate = opened.stream().anyMatch(e -> e.address().equals(parsed.toString()));
      if (!duplicate) {
        opened.add(open(parsed));
      }
    }
    this.endpoints = List.copyOf(opened);
  }

  private Endpoint open(EndpointAddress address) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(address.host(), address.port())
            .usePlaintext()
            .withOption(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
            .maxInboundMessageSize(maxInboundMessageBytes)
            .build();
    return new Endpoint(address.toString(), channel);
  }

  int size() {
    return endpoints.size();
  }

  Endpoint get(int index) {
    return endpoints.get(index);
  }

  List<String> addresses() {
    return endpoints.stream().map(Endpoint::address).toList();
  }

  /** The endpoint a new request tries first. */
  int preferredIndex() {
    return preferredIndex.get();
  }

  /** The endpoint answered: keep sending there. */
  void markWorking(int index) {
    preferredIndex.set(index);
  }

  /** The endpoint failed: new requests start at the next one, unless another already moved on. */
  void markFailed(int index) {
    preferredIndex.compareAndSet(index, (index + 1) % endpoints.size());
  }

  /** Lets channels waiting out a reconnect back-off try again at once. */
  void resetConnectBackoff() {
    for (Endpoint endpoint : endpoints) {
      endpoint.channel().resetConnectBackoff();
    }
  }

  /** The endpoint with this address: a configured one, or an extra one opened now. */
  Endpoint lookup(String address) {
    String canonical = EndpointAddress.parse(address).toString();
    for (Endpoint endpoint : endpoints) {
      if (endpoint.address().equals(canonical)) {
        return endpoint;
      }
    }
    Endpoint existing = extraEndpoints.get(canonical);
    if (existing != null) {
      return existing;
    }
    if (extraEndpoints.size() >= MAX_EXTRA_ENDPOINTS) {
      throw new IllegalStateException(
          "too many endpoints outside the configured list: " + extraEndpoints.size());
    }
    return extraEndpoints.computeIfAbsent(canonical, a -> open(EndpointAddress.parse(a)));
  }

  /** Closes every channel, cancelling calls still in flight after a short grace period. */
  void close() {
    List<ManagedChannel> channels = new ArrayList<>();
    endpoints.forEach(e -> channels.add(e.channel()));
    extraEndpoints.values().forEach(e -> channels.add(e.channel()));
    channels.forEach(ManagedChannel::shutdown);
    long deadlineNanos = System.nanoTime() + CLOSE_GRACE.toNanos();
    try {
      for (ManagedChannel channel : channels) {
        long leftNanos = Math.max(0, deadlineNanos - System.nanoTime());
        if (!channel.awaitTermination(leftNanos, TimeUnit.NANOSECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      channels.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }
}
