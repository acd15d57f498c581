package dev.ballot.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Loopback ports that were free a moment ago and that this JVM has not handed out before. */
final class FreePorts {
  private static final int MAX_ATTEMPTS = 1_000;
  private static final Set<Integer> handedOut = new HashSet<>();

  private FreePorts() {}

  static synchronized List<Integer> take(int count) {
    List<ServerSocket> open = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int attempt = 0; ports.size() < count; attempt++) {
        if (attempt >= MAX_ATTEMPTS) {
          throw new IllegalStateException(
              "no " + count + " fresh free ports after " + MAX_ATTEMPTS + " attempts");
        }
        // Holding every socket open until all are chosen keeps the kernel from repeating one.
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        open.add(socket);
        if (handedOut.add(socket.getLocalPort())) {
          ports.add(socket.getLocalPort());
        }
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket socket : open) {
        try {
          socket.close();
        } catch (IOException e) {
          // It was only held to reserve the number.
        }
      }
    }
  }
}
