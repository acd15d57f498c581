package dev.ballot.transport;

import dev.ballot.raft.Message;

/**
 * Where the node driver sends the core's messages: {@link PeerTransport} over gRPC, or anything
 * else that delivers them (a test's recorder, a simulated network). What it hears from peers goes
 * to a {@link PeerInbox}.
 */
public interface Transport extends AutoCloseable {
  /**
   * Sends {@code message} to its receiver, or drops it and tells the inbox the peer is behind (Raft
   * retransmits). Never blocks: the driver thread calls it.
   */
  void send(Message message);

  @Override
  void close();
}
