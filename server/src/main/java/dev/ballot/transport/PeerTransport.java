package dev.ballot.transport;

import dev.ballot.raft.Message;
import dev.ballot.storage.SnapshotDir;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the core's messages to peers: one channel and one long-lived stream per peer. Used only by
 * the driver thread.
 */
public final class PeerTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(PeerTransport.class);

  /** A peer message larger than this is refused by the receiver; the core batches below it. */
  public static final int MAX_PEER_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final long clusterId;
  private final Map<Long, PeerSender> senders = new TreeMap<>();
  private final PeerDirectory peers;
  private final PeerInbox inbox;
  private final LongSupplier nanoClock;
  private final Consumer<String> onRemoved;
  private final SnapshotSender snapshotSender;
  private final PeerChannels channels;

  /**
   * @param peers who the peers are; a sender is made when the first message for one goes out
   * @param snapshots where the snapshots to send to lagging followers are
   * @param onRemoved told when a peer refuses this node because it was removed from the cluster
   * @param channels the pool of channels to peers; a forgotten peer's channel is released
   */
  public PeerTransport(
      PeerChannels channels,
      long clusterId,
      PeerDirectory peers,
      PeerInbox inbox,
      LongSupplier nanoClock,
      SnapshotDir snapshots,
      Consumer<String> onRemoved) {
    this.channels = channels;
    this.clusterId = clusterId;
    this.peers = peers;
    this.inbox = inbox;
    this.nanoClock = nanoClock;
    this.onRemoved = onRemoved;
    this.snapshotSender = new SnapshotSender(channels, clusterId, peers, snapshots, inbox);
  }

  @Override
  public void send(Message message) {
    PeerSender sender = sender(message.to());
    if (sender == null) {
      // Only a message from a stranger gets an answer to one; PeerService refuses those.
      log.warn(
          "dropping message for unknown peer to={} type={}",
          message.to(),
          message.getClass().getSimpleName());
      return;
    }
    if (message instanceof Message.InstallSnapshot snapshot) {
      snapshotSender.send(snapshot);
      return;
    }
    if (!sender.send(MessageCodec.encode(clusterId, message))) {
      inbox.peerUnreachable(message.to());
    }
  }

  /**
   * The sender for {@code peer}; made on first use, closed once the peer is forgotten or its
   * address changes.
   */
  private PeerSender sender(long peer) {
    String address = peers.address(peer);
    PeerSender sender = senders.get(peer);
    if (sender != null && !sender.address().equals(address)) {
      senders.remove(peer).close();
      if (address == null) {
        channels.release(sender.address()); // forgotten: removed
      } else {
        // Its peer port moved (a member update): calls under way on the old channel may finish.
        channels.retire(sender.address());
        log.info("peer address changed peer={} from={} to={}", peer, sender.address(), address);
      }
      sender = null;
    }
    if (address == null) {
      return null;
    }
    if (sender == null) {
      ManagedChannel channel;
      try {
        channel = channels.channel(address);
      } catch (IllegalStateException e) {
        // The pool is full or closing: this message is dropped (Raft retransmits), the node runs
        // on.
        log.warn("no channel to peer={} address={} error={}", peer, address, e.getMessage());
        return null;
      }
      sender =
          new PeerSender(
              peer, address, channel, nanoClock, onRemoved, peers.selfPeerAddr(), inbox::peerGone);
      senders.put(peer, sender);
    }
    return sender;
  }

  @Override
  public void close() {
    snapshotSender.close();
    senders.values().forEach(PeerSender::close);
  }
}
