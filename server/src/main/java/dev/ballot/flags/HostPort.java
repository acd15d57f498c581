package dev.ballot.flags;

import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/**
 * A {@code host:port} address as the flags take it: a host name, an IPv4 address or a bracketed
 * IPv6 address, and a port in 1-65535. Parsing checks the form only; it resolves no name.
 */
public record HostPort(String host, int port) {
  public static final int MAX_PORT = 65_535;

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]*)");
  private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9A-Fa-f:.]+(%[\\w.]+)?]");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");

  public HostPort {
    if (port < 1 || port > MAX_PORT) {
      throw new IllegalArgumentException("port " + port + " is out of range 1-" + MAX_PORT);
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException naming what is wrong with {@code text}
   */
  public static HostPort parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty address: expected host:port");
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0 || (text.startsWith("[") && !text.substring(0, colon).endsWith("]"))) {
      throw new IllegalArgumentException("'" + text + "' has no port: expected host:port");
    }
    String host = text.substring(0, colon);
    String port = text.substring(colon + 1);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("'" + text + "' has no host: expected host:port");
    }
    if (!HOST_NAME.matcher(host).matches() && !IPV6_LITERAL.matcher(host).matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not host:port (a host name, an IPv4 address or an IPv6 address in [])");
    }
    if (!DIGITS.matcher(port).matches()) {
      throw new IllegalArgumentException(
          "'" + text + "': port '" + port + "' is not a number in 1-" + MAX_PORT);
    }
    int portNumber = Integer.parseInt(port);
    if (portNumber < 1 || portNumber > MAX_PORT) {
      throw new IllegalArgumentException(
          "'" + text + "': port " + portNumber + " is out of range 1-" + MAX_PORT);
    }
    return new HostPort(host, portNumber);
  }

  /** The address to bind or dial; the host is resolved here. */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
