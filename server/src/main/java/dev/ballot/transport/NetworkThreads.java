package dev.ballot.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How many threads carry the network I/O of the client and peer ports: gRPC's shared event loops,
 * which every server port and channel of the process uses (their handlers run on them directly).
 *
 * <p>gRPC's default is twice the processors. Measured with three nodes on one 2-core machine, one
 * event loop per node instead of four served 10-15 % more puts, 15 % more serializable and 39 %
 * more linearizable gets, at 13-28 % less CPU per operation: fewer threads to wake and switch
 * between, and more answers written per wake-up. The default here is half the processors, at least
 * one.
 *
 * <p>gRPC's Netty reads the count once, when its first event loop group is made, from a system
 * property; {@link #apply} sets it, so it must run before the node opens a port or a channel.
 */
public final class NetworkThreads {
  private static final Logger log = LoggerFactory.getLogger(NetworkThreads.class);

  /** The system property of gRPC's (shaded) Netty that sizes its default event loop groups. */
  static final String PROPERTY = "io.grpc.netty.shaded.io.netty.eventLoopThreads";

  /** More than any machine this runs on has use for; a typo of a few digits is refused. */
  static final int MAX = 1024;

  private NetworkThreads() {}

  /**
   * Sizes the event loops for this process: {@code flag} threads, or with 0 what the JVM was
   * started with ({@code -D} of the property), else {@link #byDefault}.
   */
  public static void apply(int flag) {
    String given = System.getProperty(PROPERTY);
    if (flag == 0 && given != null) {
      log.info("network threads={} (from -D{})", given, PROPERTY);
      return;
    }
    int count = flag == 0 ? byDefault(Runtime.getRuntime().availableProcessors()) : flag;
    System.setProperty(PROPERTY, Integer.toString(count));
    log.info("network threads={}{}", count, flag == 0 ? " (half the processors, at least 1)" : "");
  }

  /** Half the processors, at least one. */
  static int byDefault(int processors) {
    return Math.max(1, processors / 2);
  }

  /** The flag's value: a whole number from 0 (the default) to {@link #MAX}. */
  public static final class Converter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int parsed;
      try {
        parsed = Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is not a whole number");
      }
      if (parsed < 0 || parsed > MAX) {
        throw new TypeConversionException(parsed + " is not between 0 and " + MAX);
      }
      return parsed;
    }
  }
}
