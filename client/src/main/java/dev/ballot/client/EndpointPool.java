package dev.ballot.client;

import io.grpc.ConnectivityState;
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
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * The configured endpoints, one channel each, and the one requests go to first: the client sticks
 * to an endpoint that works and moves on when one fails.
 *
 * <p>An endpoint that let a request time out (a frozen process, a half-open connection) or did not
 * finish connecting in time is <em>avoided</em> for {@link #AVOID_SILENT}: moving on from a failed
 * endpoint skips it while another is not avoided, so that one silent node does not hold request
 * after request until its deadline.
 *
 * <p>Also keeps channels to endpoints outside the configured list, opened on demand for {@link
 * BallotClient#status(String)} (for example the client URLs of every member).
 */
final class EndpointPool {
  /** Bound on channels opened for status calls to endpoints that are not in the list. */
  static final int MAX_EXTRA_ENDPOINTS = 64;

  /** How long an endpoint that let a request time out is passed over. */
  static final Duration AVOID_SILENT = Duration.ofSeconds(5);

  private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

  /** One endpoint: its canonical address and its channel. */
  record Endpoint(String address, ManagedChannel channel) {}

  private final List<Endpoint> endpoints;
  private final Map<String, Endpoint> extraEndpoints = new ConcurrentHashMap<>();
  private final AtomicInteger preferredIndex = new AtomicInteger();

  /** Per configured endpoint: until when (nano clock) it is avoided; 0 when it is not. */
  private final AtomicLongArray avoidedUntilNanos;

  private final LongSupplier nanoClock;
  private final Duration connectTimeout;
  private final int maxInboundMessageBytes;

  EndpointPool(List<String> addresses, Duration connectTimeout, int maxInboundMessageBytes) {
    this(addresses, connectTimeout, maxInboundMessageBytes, System::nanoTime);
  }

  EndpointPool(
      List<String> addresses,
      Duration connectTimeout,
      int maxInboundMessageBytes,
      LongSupplier nanoClock) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one endpoint is needed");
    }
    this.nanoClock = nanoClock;
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
    this.avoidedUntilNanos = new AtomicLongArray(endpoints.size());
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

  /** The endpoint answered: keep sending there, and stop avoiding it. */
  void markWorking(int index) {
    avoidedUntilNanos.set(index, 0);
    preferredIndex.set(index);
  }

  /** The endpoint failed: new requests start at the next one, unless another already moved on. */
  void markFailed(int index) {
    preferredIndex.compareAndSet(index, nextAfter(index));
  }

  /**
   * The endpoint let a request time out, or did not connect in time: avoid it for {@link
   * #AVOID_SILENT}, and move on from it as from a failed one.
   */
  void markSilent(int index) {
    long until = nanoClock.getAsLong() + AVOID_SILENT.toNanos();
    avoidedUntilNanos.set(index, until == 0 ? 1 : until);
    markFailed(index);
  }

  /** Whether the endpoint let a request time out a short while ago. */
  boolean isAvoided(int index) {
    long until = avoidedUntilNanos.get(index);
    return until != 0 && until - nanoClock.getAsLong() > 0;
  }

  /**
   * The endpoint to try after {@code index}: the next in order that is not avoided, or simply the
   * next one when every other is avoided.
   */
  int nextAfter(int index) {
    int size = endpoints.size();
    for (int step = 1; step < size; step++) {
      int candidate = (index + step) % size;
      if (!isAvoided(candidate)) {
        return candidate;
      }
    }
    return (index + 1) % size;
  }

  /** Starts connecting every configured endpoint, so that failing over finds a ready channel. */
  void connectAll() {
    for (Endpoint endpoint : endpoints) {
      endpoint.channel().getState(true);
    }
  }

  /** The channel's state; asks an idle channel to connect. */
  ConnectivityState connect(Endpoint endpoint) {
    return endpoint.channel().getState(true);
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
