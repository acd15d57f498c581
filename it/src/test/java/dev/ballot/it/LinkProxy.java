package dev.ballot.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder for one direction of one link between two nodes: it forwards every connection to
 * a target address. A test cuts it to partition the link and heals it to join the link again, or
 * adds a delay to every chunk of bytes it forwards. It takes connections on a port of its own
 * ({@link #start}), or from the {@link NodeFront} of its target node, which tells the links into
 * that node apart by where a connection comes from ({@link #behind}).
 *
 * <p>Each connection gets one thread per direction; at most {@code maxConnections} are open at
 * once, further ones are closed as soon as they are accepted.
 */
public final class LinkProxy implements AutoCloseable {

  /** What happens to connections while the link is cut. */
  public enum CutMode {
    /** Open connections and new ones are reset at once, as with a peer that refuses. */
    RESET,
    /**
     * No byte goes through, as with a firewall that drops packets: open connections stall (what was
     * sent arrives after the heal, as TCP retransmits it), new ones are accepted and held.
     */
    BLACKHOLE
  }

  private enum LinkState {
    OPEN,
    CUT_RESET,
    CUT_BLACKHOLE,
    CLOSED
  }

  private static final int CHUNK_BYTES = 16 * 1024;
  private static final int CONNECT_TIMEOUT_MS = 2_000;

  private final String name;
  private final InetSocketAddress target;
  private final int maxConnections;

  /** Null behind a front. */
  private final ServerSocket listener;

  private final ExecutorService pumps;

  /** Null behind a front. */
  private final Thread acceptor;

  private final AtomicInteger connectionSeq = new AtomicInteger();
  private final List<Connection> connections = new ArrayList<>();
  private final List<Socket> held = new ArrayList<>();
  private volatile LinkState state = LinkState.OPEN;
  private volatile long delayMs;

  private LinkProxy(String name, InetSocketAddress target, int maxConnections, boolean listen)
      throws IOException {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections=" + maxConnections);
    }
    this.name = name;
    this.target = target;
    this.maxConnections = maxConnections;
    this.listener = listen ? new ServerSocket(0, 64, InetAddress.getLoopbackAddress()) : null;
    this.pumps = Executors.newFixedThreadPool(2 * maxConnections, namedThreads("proxy-" + name));
    if (listen) {
      this.acceptor = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
      this.acceptor.setDaemon(true);
    } else {
      this.acceptor = null;
    }
  }

  /** Starts a proxy on a free loopback port that forwards to {@code target}. */
  public static LinkProxy start(String name, InetSocketAddress target) throws IOException {
    return start(name, target, 32);
  }

  public static LinkProxy start(String name, InetSocketAddress target, int maxConnections)
      throws IOException {
    LinkProxy proxy = new LinkProxy(name, target, maxConnections, true);
    proxy.acceptor.start();
    return proxy;
  }

  /**
   * A link without a port of its own: {@code front} hands it the connections that come from {@code
   * source}.
   */
  public static LinkProxy behind(NodeFront front, InetAddress source, String name)
      throws IOException {
    LinkProxy proxy = new LinkProxy(name, front.target(), 32, false);
    front.route(source, proxy);
    return proxy;
  }

  /** A link without a port of its own for a front's connections from no known node. */
  static LinkProxy unrouted(InetSocketAddress target, String name) throws IOException {
    return new LinkProxy(name, target, 32, false);
  }

  public String name() {
    return name;
  }

  /** The port of its own; a link behind a front has none (dial the front). */
  public int port() {
    if (listener == null) {
      throw new IllegalStateException("link " + name + " is reached through its node's front");
    }
    return listener.getLocalPort();
  }

  /** The address to dial instead of the target, as {@code host:port}. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  public InetSocketAddress target() {
    return target;
  }

  public boolean isCut() {
    LinkState s = state;
    return s == LinkState.CUT_RESET || s == LinkState.CUT_BLACKHOLE;
  }

  /** Cuts the link: resets open connections, and resets every new one until {@link #heal()}. */
  public void cut() {
    cut(CutMode.RESET);
  }

  public void cut(CutMode mode) {
    List<Connection> open;
    synchronized (this) {
      requireNotClosed();
      state = mode == CutMode.RESET ? LinkState.CUT_RESET : LinkState.CUT_BLACKHOLE;
      open = new ArrayList<>(connections);
    }
    if (mode == CutMode.RESET) {
      open.forEach(Connection::reset);
    }
  }

  /** Joins the link again; connections held by a blackhole are reset so that callers redial. */
  public void heal() {
    List<Socket> wasHeld;
    synchronized (this) {
      requireNotClosed();
      state = LinkState.OPEN;
      wasHeld = new ArrayList<>(held);
      held.clear();
      notifyAll(); // stalled pumps go on
    }
    wasHeld.forEach(LinkProxy::reset);
  }

  /** Delays every chunk of bytes forwarded from now on, in both directions; 0 turns it off. */
  public void setDelayMs(long delayMs) {
    if (delayMs < 0) {
      throw new IllegalArgumentException("delayMs=" + delayMs);
    }
    this.delayMs = delayMs;
  }

  public synchronized int openConnections() {
    return connections.size();
  }

  @Override
  public void close() {
    List<Connection> open;
    List<Socket> wasHeld;
    synchronized (this) {
      if (state == LinkState.CLOSED) {
        return;
      }
      state = LinkState.CLOSED;
      notifyAll();
      open = new ArrayList<>(connections);
      wasHeld = new ArrayList<>(held);
      held.clear();
    }
    if (listener != null) {
      closeQuietly(listener);
    }
    open.forEach(Connection::reset);
    wasHeld.forEach(LinkProxy::reset);
    pumps.shutdownNow();
    try {
      if (acceptor != null) {
        acceptor.join(TimeUnit.SECONDS.toMillis(5));
      }
      if (!pumps.awaitTermination(5, TimeUnit.SECONDS)) {
        throw new IllegalStateException("proxy " + name + ": pump threads did not stop in 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "LinkProxy[" + name + " " + address() + " -> " + target + " " + state + "]";
  }

  private void requireNotClosed() {
    if (state == LinkState.CLOSED) {
      throw new IllegalStateException("proxy " + name + " is closed");
    }
  }

  private void acceptLoop() {
    while (state != LinkState.CLOSED) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (state == LinkState.CLOSED) {
          return;
        }
        continue;
      }
      admit(client);
    }
  }

  /** Takes one accepted connection: forwards it, holds it or resets it, as the link stands. */
  void admit(Socket client) {
    synchronized (this) {
      switch (state) {
        case CUT_BLACKHOLE -> {
          held.add(client);
          return;
        }
        case OPEN -> {
          if (connections.size() < maxConnections) {
            break;
          }
          reset(client);
          return;
        }
        default -> {
          reset(client);
          return;
        }
      }
    }
    Socket upstream = new Socket();
    try {
      upstream.connect(target, CONNECT_TIMEOUT_MS);
      upstream.setTcpNoDelay(true);
      client.setTcpNoDelay(true);
    } catch (IOException e) {
      reset(client);
      closeQuietly(upstream);
      return;
    }
    Connection connection = new Connection(connectionSeq.incrementAndGet(), client, upstream);
    synchronized (this) {
      if (state != LinkState.OPEN) {
        connection.reset();
        return;
      }
      connections.add(connection);
    }
    pumps.execute(() -> connection.pump(client, upstream));
    pumps.execute(() -> connection.pump(upstream, client));
  }

  /** Holds a pump while the link is a blackhole: its bytes go through after the heal. */
  private synchronized void awaitNoBlackhole() throws InterruptedException {
    while (state == LinkState.CUT_BLACKHOLE) {
      wait();
    }
  }

  private synchronized void forget(Connection connection) {
    connections.remove(connection);
  }

  /** One accepted connection and its dialled twin; done when both directions have ended. */
  private final class Connection {
    private final int id;
    private final Socket client;
    private final Socket upstream;
    private final AtomicInteger directionsDone = new AtomicInteger();

    Connection(int id, Socket client, Socket upstream) {
      this.id = id;
      this.client = client;
      this.upstream = upstream;
    }

    void pump(Socket from, Socket to) {
      Thread.currentThread()
          .setName("proxy-" + name + "-c" + id + (from == client ? "-up" : "-down"));
      byte[] buffer = new byte[CHUNK_BYTES];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          int n = in.read(buffer);
          if (n < 0) {
            to.shutdownOutput();
            break;
          }
          long delay = delayMs;
          if (delay > 0) {
            Thread.sleep(delay);
          }
          awaitNoBlackhole();
          if (state != LinkState.OPEN) {
            reset();
            break;
          }
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        reset();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reset();
      }
      if (directionsDone.incrementAndGet() == 2) {
        closeQuietly(client);
        closeQuietly(upstream);
        forget(this);
      }
    }

    void reset() {
      LinkProxy.reset(client);
      LinkProxy.reset(upstream);
      forget(this);
    }
  }

  /** Closes with SO_LINGER 0, so the peer sees a reset rather than an orderly end of stream. */
  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException e) {
      // Already closed: nothing left to reset.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Closing to tear down; a failure leaves nothing more to do.
    }
  }

  private static ThreadFactory namedThreads(String prefix) {
    AtomicInteger seq = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + seq.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
