package dev.ballot.client;

/**
 * A client endpoint, host and port, parsed from etcd's spellings: {@code host:port}, {@code
 * http://host:port}, {@code [::1]:port}; the port defaults to 2379.
 */
record EndpointAddress(String host, int port) {
  static final int DEFAULT_PORT = 2379;

  static EndpointAddress parse(String endpoint) {
    String text = endpoint.trim();
    if (text.startsWith("https://") || text.startsWith("unixs://")) {
      throw new IllegalArgumentException("TLS endpoints are not supported yet: " + endpoint);
    }
    if (text.startsWith("http://")) {
      text = text.substring("http://".length());
    }
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty endpoint: '" + endpoint + "'");
    }
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("bad IPv6 endpoint: " + endpoint);
      }
      host = text.substring(1, close);
      port = text.length() > close + 1 ? text.substring(close + 1) : "";
      if (!port.isEmpty() && !port.startsWith(":")) {
        throw new IllegalArgumentException("bad endpoint: " + endpoint);
      }
      port = port.isEmpty() ? "" : port.substring(1);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon >= 0 && text.indexOf(':') != colon) {
        throw new IllegalArgumentException("IPv6 endpoints need brackets, [::1]:2379: " + endpoint);
      }
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? "" : text.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("endpoint without host: " + endpoint);
    }
    return new EndpointAddress(host, port.isEmpty() ? DEFAULT_PORT : parsePort(port, endpoint));
  }

  private static int parsePort(String port, String endpoint) {
    try {
      int value = Integer.parseInt(port);
      if (value < 1 || value > 65535) {
        throw new IllegalArgumentException("port out of range in endpoint: " + endpoint);
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in endpoint: " + endpoint, e);
    }
  }

  /** host:port, with brackets around an IPv6 host. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
