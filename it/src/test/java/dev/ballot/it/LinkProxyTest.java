package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LinkProxyTest {
  private static final int READ_TIMEOUT_MS = 3_000;

  private EchoServer echo;
  private LinkProxy proxy;
  private final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void startEchoAndProxy() throws IOException {
    echo = new EchoServer();
    proxy = LinkProxy.start("test", echo.address(), 2);
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    proxy.close();
    echo.close();
  }

  @Test
  void forwardsBytesBothWays() throws IOException {
    Socket socket = connect();
    assertThat(roundTrip(socket, "hello")).isEqualTo("hello");
    assertThat(roundTrip(socket, "again")).isEqualTo("again");
    assertThat(proxy.openConnections()).isEqualTo(1);
  }

  @Test
  void cutResetsOpenConnectionsAndNewOnes() throws IOException {
    Socket open = connect();
    assertThat(roundTrip(open, "before")).isEqualTo("before");

    proxy.cut();

    assertThat(proxy.isCut()).isTrue();
    assertClosedByPeer(open);
    assertNewConnectionIsTurnedAway();
    assertThat(echo.accepted()).isEqualTo(1);
  }

  @Test
  void healLetsNewConnectionsThrough() throws IOException {
    proxy.cut();
    assertNewConnectionIsTurnedAway();

    proxy.heal();

    assertThat(proxy.isCut()).isFalse();
    assertThat(roundTrip(connect(), "after")).isEqualTo("after");
  }

  @Test
  void blackholeHoldsNewConnectionsSilentlyUntilHealed() throws IOException {
    proxy.cut(LinkProxy.CutMode.BLACKHOLE);
    Socket held = connect();
    held.getOutputStream().write("lost".getBytes(StandardCharsets.UTF_8));
    held.setSoTimeout(300);
    assertThatThrownBy(() -> held.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class);

    proxy.heal();

    assertClosedByPeer(held);
    assertThat(echo.accepted()).isZero();
    assertThat(roundTrip(connect(), "after")).isEqualTo("after");
  }

  @Test
  void blackholeStallsAnOpenConnectionAndDeliversWhatWasSentAfterTheHeal() throws IOException {
    Socket open = connect();
    assertThat(roundTrip(open, "before")).isEqualTo("before");

    proxy.cut(LinkProxy.CutMode.BLACKHOLE);
    open.getOutputStream().write("during".getBytes(StandardCharsets.UTF_8));
    open.setSoTimeout(300);
    assertThatThrownBy(() -> open.getInputStream().read())
        .isInstanceOf(SocketTimeoutException.class);

    proxy.heal();
    open.setSoTimeout(5_000);
    byte[] echoed = open.getInputStream().readNBytes("during".length());
    assertThat(new String(echoed, StandardCharsets.UTF_8)).isEqualTo("during");
  }

  @Test
  void delayIsAddedToEveryChunkInEachDirection() throws IOException {
    Socket socket = connect();
    roundTrip(socket, "warm-up");
    proxy.setDelayMs(150);

    long startNanos = System.nanoTime();
    assertThat(roundTrip(socket, "slow")).isEqualTo("slow");
    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;

    assertThat(elapsedMs).isGreaterThanOrEqualTo(300);
  }

  @Test
  void connectionsBeyondTheBoundAreClosed() throws IOException {
    Socket first = connect();
    Socket second = connect();
    assertThat(roundTrip(first, "1")).isEqualTo("1");
    assertThat(roundTrip(second, "2")).isEqualTo("2");

    assertNewConnectionIsTurnedAway();

    first.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 1);
    assertThat(roundTrip(connect(), "3")).isEqualTo("3");
  }

  @Test
  void closedProxyRefusesConnections() {
    proxy.close();
    assertThatThrownBy(this::connect).isInstanceOf(IOException.class);
  }

  @Test
  void aFrontHandsEachSourceToItsOwnLink() throws IOException {
    try (NodeFront front = NodeFront.start("front-test", echo.address())) {
      LinkProxy fromNode0 = LinkProxy.behind(front, NodeFront.sourceOf(0), "n0-front");
      LinkProxy.behind(front, NodeFront.sourceOf(1), "n1-front");
      Socket node0 = connectFrom(front, NodeFront.sourceOf(0));
      Socket node1 = connectFrom(front, NodeFront.sourceOf(1));
      Socket other = connectFrom(front, InetAddress.getLoopbackAddress());
      assertThat(roundTrip(node0, "a")).isEqualTo("a");
      assertThat(roundTrip(node1, "b")).isEqualTo("b");
      assertThat(fromNode0.openConnections()).isEqualTo(1);

      fromNode0.cut();

      assertClosedByPeer(node0);
      assertTurnedAway(() -> connectFrom(front, NodeFront.sourceOf(0)));
      assertThat(roundTrip(node1, "still")).isEqualTo("still");
      assertThat(roundTrip(other, "outside")).isEqualTo("outside");
      fromNode0.heal();
      assertThat(roundTrip(connectFrom(front, NodeFront.sourceOf(0)), "back")).isEqualTo("back");
    }
  }

  /** A connection to {@code front} from the local address {@code source}. */
  private Socket connectFrom(NodeFront front, InetAddress source) throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    socket.bind(new InetSocketAddress(source, 0));
    String address = front.address();
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
    return socket;
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()), 2_000);
    return socket;
  }

  private static String roundTrip(Socket socket, String text) throws IOException {
    byte[] sent = text.getBytes(StandardCharsets.UTF_8);
    socket.getOutputStream().write(sent);
    socket.getOutputStream().flush();
    byte[] received = socket.getInputStream().readNBytes(sent.length);
    return new String(received, StandardCharsets.UTF_8);
  }

  /** A new connection fails, or is ended by the proxy without an echo. */
  private void assertNewConnectionIsTurnedAway() {
    assertTurnedAway(this::connect);
  }

  private interface Connector {
    Socket connect() throws IOException;
  }

  /** The connection {@code connector} makes fails, or is ended by the far side without an echo. */
  private static void assertTurnedAway(Connector connector) {
    Socket socket;
    try {
      socket = connector.connect();
    } catch (IOException e) {
      return; // Reset before connect() returned: as good as refused.
    }
    assertClosedByPeer(socket);
  }

  /** The peer ended the connection: end of stream or a reset, and no echo. */
  private static void assertClosedByPeer(Socket socket) {
    try {
      socket.getOutputStream().write(1);
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("connection still open after " + READ_TIMEOUT_MS + " ms", e);
    } catch (IOException e) {
      // A reset (or a broken pipe on the write) is as final as an end of stream.
    }
  }

  /** Echoes every byte back, one thread per connection; counts accepted connections. */
  private static final class EchoServer implements AutoCloseable {
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> accepted = new ArrayList<>();

    EchoServer() throws IOException {
      server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      acceptor = new Thread(this::acceptLoop, "echo-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    InetSocketAddress address() {
      return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    synchronized int accepted() {
      return accepted.size();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          synchronized (this) {
            accepted.add(socket);
          }
          Thread echo = new Thread(() -> echo(socket), "echo-" + socket.getPort());
          echo.setDaemon(true);
          echo.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void echo(Socket socket) {
      try (socket;
          InputStream in = socket.getInputStream();
          OutputStream out = socket.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // The other side went away: the echo is over.
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (this) {
        for (Socket socket : accepted) {
          socket.close();
        }
      }
    }
  }
}
