package dev.ballot.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How many threads carry the network I/O of the client and peer ports: gRPC's shared event loops,
 * which every server port and channel of the process uses (their handlers run on them directly).
 *
 * <p>By default half the processors, at least one; gRPC's own count would be twice the processors.
 * Measured with three nodes on one 2-core machine, one event loop per node served 10-15 % more
 * puts, 15 % more serializable and 39 % more linearizable gets at 13-28 % less CPU per operation
 * than four: each loop woken for a handful of messages costs a wake-up and a context switch, and
 * more runnable threads than cores wait their turn. (Write stalls of 5-7 s once seen with one loop
 * when a leader was cut off came from the test harness, whose cut had become an asymmetric
 * partition; see the harness's {@code NodeFront}.)
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
    if (flag == 0) {
      String given = System.getProperty(PROPERTY);
      if (given != null) {
        log.info("network threads={} (from -D{})", given, PROPERTY);
        return;
      }
      int threads = byDefault(Runtime.getRuntime().availableProcessors());
      System.setProperty(PROPERTY, Integer.toString(threads));
      log.info("network threads={} (half the processors, at least 1)", threads);
      return;
    }
    System.setProperty(PROPERTY, Integer.toString(flag));
    log.info("network threads={}", flag);
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
