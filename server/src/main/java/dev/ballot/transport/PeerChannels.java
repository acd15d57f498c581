package dev.ballot.transport;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels to other nodes' peer ports, all built here with one set of options: one shared
 * channel per member address (Raft messages, forwarded writes and membership changes), closed when
 * the member leaves, at most {@link #MAX_CHANNELS}. Calls to addresses that are not members yet
 * (discovery, registration, the start-up peer check) and snapshot streams (kept off the message
 * connection so that a large snapshot does not delay heartbeats) get short-lived channels from
 * {@link #shortLived}, which their caller closes.
 *
 * <p>Every connection leaves from one local address when one is given ({@code --peer-source-addr}),
 * else from the one the operating system picks.
 */
public final class PeerChannels implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerChannels.class);

  /** More members than this is a configuration no Raft group should have. */
  public static final int MAX_CHANNELS = 64;

  /** A peer message larger than this is refused by the receiver; the core batches below it. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = PeerTransport.MAX_PEER_MESSAGE_BYTES;

  private static final long KEEPALIVE_TIME_MS = 10_000;
  private static final long KEEPALIVE_TIMEOUT_MS = 5_000;

  private final Map<String, ManagedChannel> shared = new ConcurrentHashMap<>();
  private final InetAddress sourceAddress;
  private volatile boolean closed;

  /** Connections leave from the address the operating system picks. */
  public PeerChannels() {
    this(null);
  }

  /** Connections leave from {@code sourceAddress} (any port), or as the system picks if null. */
  public PeerChannels(InetAddress sourceAddress) {
    this.sourceAddress = sourceAddress;
  }

  /** A channel with the peer options; the caller shuts it down. */
  public ManagedChannel shortLived(String address) {
    return builder(address).build();
  }

  private NettyChannelBuilder builder(String address) {
    NettyChannelBuilder builder =
        NettyChannelBuilder.forTarget(address)
            .usePlaintext()
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .keepAliveTime(KEEPALIVE_TIME_MS, TimeUnit.MILLISECONDS)
            .keepAliveTimeout(KEEPALIVE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .keepAliveWithoutCalls(true);
    if (sourceAddress != null) {
      InetSocketAddress local = new InetSocketAddress(sourceAddress, 0);
      builder.localSocketPicker(
          new NettyChannelBuilder.LocalSocketPicker() {
            @Override
            public SocketAddress createSocketAddress(
                SocketAddress remoteAddress, Attributes attrs) {
              return local;
            }
          });
    }
    return builder;
  }

  /**
   * A shared channel runs its callbacks on the network thread: they only enqueue into the driver or
   * complete a future, and a hop to a pool per message costs more than the work.
   */
  private ManagedChannel sharedChannel(String address) {
    return builder(address).directExecutor().build();
  }

  /**
   * The shared channel to the member at {@code address}, opened on first use. Callers never shut it
   * down; {@link #release} does once the member leaves.
   *
   * @throws IllegalStateException if the pool is closed or holds {@link #MAX_CHANNELS} already
   */
  public ManagedChannel channel(String address) {
    ManagedChannel channel = shared.get(address);
    if (channel != null) {
      return channel;
    }
    synchronized (shared) {
      if (closed) {
        throw new IllegalStateException("peer channels are closed");
      }
      if (!shared.containsKey(address) && shared.size() >= MAX_CHANNELS) {
        throw new IllegalStateException(
            "peer channels: " + shared.size() + " open, at most " + MAX_CHANNELS);
      }
      return shared.computeIfAbsent(address, this::sharedChannel);
    }
  }

  /** The member at {@code address} left (or moved): closes its channel. */
  public void release(String address) {
    ManagedChannel channel;
    synchronized (shared) {
      channel = shared.remove(address);
    }
    if (channel != null) {
      log.debug("peer channel closed address={}", address);
      channel.shutdownNow();
    }
  }

  /**
   * A member moved away from {@code address}: new calls open a channel to its new address, and the
   * old channel closes once the calls on it (such as a forwarded request that carried the move)
   * have ended.
   */
  public void retire(String address) {
    ManagedChannel channel;
    synchronized (shared) {
      channel = shared.remove(address);
    }
    if (channel != null) {
      log.debug("peer channel retired address={}", address);
      channel.shutdown();
    }
  }

  public int openChannels() {
    return shared.size();
  }

  @Override
  public void close() {
    synchronized (shared) {
      closed = true;
      shared.values().forEach(ManagedChannel::shutdownNow);
      shared.clear();
    }
  }
}
