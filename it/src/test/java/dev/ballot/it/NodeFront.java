package dev.ballot.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one address at which every other node reaches a node's peer port: the address the node
 * advertises, so every member lists it alike. Each other node connects from a source address of its
 * own ({@code --peer-source-addr}); the front hands each connection to the {@link LinkProxy} of the
 * link it comes from, which forwards, holds or resets it as that link stands. A connection from any
 * other source (a tool, a test's own call) goes through a link that is never cut.
 *
 * <p>So a cut holds whatever addresses a node learned from whom: the member list each node applies
 * (from the log or from a snapshot) names the same fronts, and no node ever dials another's peer
 * port directly.
 */
final class NodeFront implements AutoCloseable {
  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final Map<InetAddress, LinkProxy> links = new ConcurrentHashMap<>();
  private final LinkProxy outside;
  private volatile boolean closed;

  private NodeFront(String name, InetSocketAddress target) throws IOException {
    this.name = name;
    this.target = target;
    this.listener = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    this.outside = LinkProxy.unrouted(target, "outside-" + name);
    this.acceptor = new Thread(this::acceptLoop, "front-" + name + "-accept");
    this.acceptor.setDaemon(true);
  }

  /** A front on a free loopback port for the node whose peer port is {@code target}. */
  static NodeFront start(String name, InetSocketAddress target) throws IOException {
    NodeFront front = new NodeFront(name, target);
    front.acceptor.start();
    return front;
  }

  /**
   * The source address node {@code index} connects from: 127.0.1.(index + 1), on the loopback
   * interface as all of 127/8 is, and never 127.0.0.1, the address of everything else.
   */
  static InetAddress sourceOf(int index) {
    if (index < 0 || index > 253) {
      throw new IllegalArgumentException("node index " + index);
    }
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) (index + 1)});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  InetSocketAddress target() {
    return target;
  }

  /** The address other nodes dial, as {@code 127.0.0.1:port}. */
  String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /** Connections from {@code source} go through {@code link} from now on. */
  void route(InetAddress source, LinkProxy link) {
    if (links.putIfAbsent(source, link) != null) {
      throw new IllegalStateException("front " + name + ": " + source + " is routed already");
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // Closing to tear down; the links close below all the same.
    }
    Teardown teardown = new Teardown();
    for (LinkProxy link : allLinks()) {
      teardown.run(link::close);
    }
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    teardown.finish();
  }

  private List<LinkProxy> allLinks() {
    List<LinkProxy> all = new ArrayList<>(links.values());
    all.add(outside);
    return all;
  }

  @Override
  public String toString() {
    return "NodeFront[" + name + " " + address() + " -> " + target + "]";
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      LinkProxy link = links.getOrDefault(client.getInetAddress(), outside);
      link.admit(client);
    }
  }
}
