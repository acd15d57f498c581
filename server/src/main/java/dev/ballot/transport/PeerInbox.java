package dev.ballot.transport;

import dev.ballot.raft.Message;

/** Where the transport delivers what it hears from peers; implemented by the node driver. */
public interface PeerInbox {
  /** A message from a peer of this cluster, addressed to this node. Must not block. */
  void receive(Message message);

  /** Sending to {@code peerId} failed or was dropped: the core should stop pipelining to it. */
  void peerUnreachable(long peerId);

  /**
   * {@code peerId}'s process is gone: the connection to it broke and a reconnect was refused at
   * once. The core may elect a new leader without waiting for a timeout.
   */
  void peerGone(long peerId);

  /** A snapshot could not be delivered to {@code peerId}: the core should try again later. */
  void snapshotSendFailed(long peerId);

  /** A snapshot was delivered to {@code peerId} and installed there (for the node's metrics). */
  default void snapshotSent(long peerId) {}
}
