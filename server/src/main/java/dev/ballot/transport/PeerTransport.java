package dev.ballot.transport;

import dev.ballot.raft.Message;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Sends the core's messages to peers: one channel and one long-lived stream per peer. Used only by
 * the driver thread.
 */
public final class PeerTransport implements AutoCloseable {
  /** A peer message larger than this is refused by the receiver; the core batches below it. */
  public static final int MAX_PEER_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final long clusterId;
  private final Map<Long, PeerSender> senders = new TreeMap<>();
  private final PeerInbox inbox;

  public PeerTransport(
      long clusterId, Map<Long, String> peerAddresses, PeerInbox inbox, LongSupplier nanoClock) {
    this.clusterId = clusterId;
    this.inbox = inbox;
    peerAddresses.forEach(
        (id, address) -> senders.put(id, new PeerSender(id, address, channel(address), nanoClock)));
  }

  static ManagedChannel channel(String address) {
    return NettyChannelBuilder.forTarget(address)
        .usePlaintext()
        .maxInboundMessageSize(MAX_PEER_MESSAGE_BYTES)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .build();
  }

  /** Sends {@code message} to its receiver, or drops it and tells the inbox the peer is behind. */
  public void send(Message message) {
    PeerSender sender = senders.get(message.to());
    if (sender == null) {
      throw new IllegalStateException("no peer " + message.to() + " for " + message);
    }
    if (!sender.send(MessageCodec.encode(clusterId, message))) {
      inbox.peerUnreachable(message.to());
    }
  }

  @Override
  public void close() {
    senders.values().forEach(PeerSender::close);
  }
}
