package dev.ballot.flags;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Checks an IP address flag value ({@code --peer-source-addr}): a literal IPv4 or IPv6 address, not
 * a host name (nothing is looked up) and not a wildcard. Whether it belongs to this host is checked
 * with the other flags, by binding to it.
 */
public final class SourceAddressConverter implements ITypeConverter<InetAddress> {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  @Override
  public InetAddress convert(String value) {
    String literal =
        value.startsWith("[") && value.endsWith("]")
            ? value.substring(1, value.length() - 1)
            : value;
    boolean v4 = IPV4.matcher(literal).matches();
    if (v4) {
      for (String octet : literal.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          throw notAnAddress(value);
        }
      }
    } else if (!literal.contains(":") || !literal.matches("[0-9A-Fa-f:.]+")) {
      // Host names are refused rather than looked up: the source must be one fixed address.
      throw notAnAddress(value);
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(literal); // a literal: parsed, never looked up
    } catch (UnknownHostException e) {
      throw notAnAddress(value);
    }
    if (address.isAnyLocalAddress()) {
      throw new TypeConversionException(
          "'" + value + "' is a wildcard: give one address of this host, or leave the option out");
    }
    if (address.isMulticastAddress()) {
      throw new TypeConversionException("'" + value + "' is a multicast address");
    }
    return address;
  }

  private static TypeConversionException notAnAddress(String value) {
    return new TypeConversionException(
        "'" + value + "' is not an IP address (such as 10.0.0.5 or fd00::5)");
  }
}
