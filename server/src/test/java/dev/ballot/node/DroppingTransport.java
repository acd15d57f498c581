package dev.ballot.node;

import dev.ballot.raft.Message;
import dev.ballot.transport.Transport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A transport for a driver without peers: records what the driver sends, delivers nothing. */
final class DroppingTransport implements Transport {
  final List<Message> sent = new CopyOnWriteArrayList<>();

  @Override
  public void send(Message message) {
    sent.add(message);
  }

  @Override
  public void close() {}
}
