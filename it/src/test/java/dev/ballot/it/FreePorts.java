package dev.ballot.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for servers that bind seconds after the ports are chosen. They come from below the
 * kernel's ephemeral range: an ephemeral port that is free now may be given to some outgoing
 * connection (a proxy's, a gRPC channel's) before the server gets to bind it.
 */
final class FreePorts {
  private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  private static final int LOWEST_PORT = 10_000;
  private static final int MIN_BAND_PORTS = 2_000;
  private static final Set<Integer> handedOut = new HashSet<>();

  private FreePorts() {}

  /** {@code count} distinct ports, free when chosen and never handed out before by this JVM. */
  static synchronized List<Integer> take(int count) {
    int bandEnd = ephemeralLow();
    if (bandEnd - LOWEST_PORT < MIN_BAND_PORTS) {
      throw new IllegalStateException(
          "the ephemeral port range starts at "
              + bandEnd
              + ", leaving no room below it for test servers (see "
              + EPHEMERAL_RANGE
              + ")");
    }
    int bandSize = bandEnd - LOWEST_PORT;
    int start = ThreadLocalRandom.current().nextInt(bandSize);
    List<Integer> ports = new ArrayList<>();
    for (int step = 0; step < bandSize && ports.size() < count; step++) {
      int port = LOWEST_PORT + (start + step) % bandSize;
      if (!handedOut.contains(port) && isFree(port)) {
        handedOut.add(port);
        ports.add(port);
      }
    }
    if (ports.size() < count) {
      throw new IllegalStateException(
          "only "
              + ports.size()
              + " of "
              + count
              + " free ports in "
              + LOWEST_PORT
              + ".."
              + bandEnd);
    }
    return ports;
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The first port of the kernel's ephemeral range (Linux); 32768 where it cannot be read. */
  private static int ephemeralLow() {
    // Read by line: procfs reports a size of 0, which trips whole-file reads.
    try (BufferedReader reader =
        Files.newBufferedReader(EPHEMERAL_RANGE, StandardCharsets.US_ASCII)) {
      return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
