package dev.ballot.api;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps malformed traffic from the network out of the node's log. gRPC logs through
 * java.util.logging: a request body that does not parse costs a SEVERE stack trace of some 40 lines
 * (its executor rethrows the parse error after closing the call), a broken gRPC frame a WARNING
 * with a stack trace, a broken HTTP/2 connection an INFO line. gRPC has already answered or closed
 * each of them, so a client sending garbage could only fill the node's disk with logs. These
 * records are dropped (counted at DEBUG); an exception of a handler of ours is still logged.
 */
final class MalformedTrafficLog {
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(MalformedTrafficLog.class);

  /** Held strongly: java.util.logging forgets the settings of a logger nobody references. */
  private static final List<Logger> GRPC_LOGGERS =
      List.of(
          // A request body that does not parse (gRPC's marshaller throws StatusRuntimeException).
          Logger.getLogger("io.grpc.internal.SerializeReentrantCallsDirectExecutor"),
          // A gRPC message that cannot be deframed (truncated, bad length, compressed).
          Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream"),
          // An HTTP/2 connection that fails (bad preface, frames or headers); filters are not
          // inherited, and gRPC logs connection failures on a child logger.
          Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport"),
          Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections"));

  private static boolean installed;

  private MalformedTrafficLog() {}

  /** Installs the filters (once per process; idempotent). */
  static synchronized void quiet() {
    if (installed) {
      return;
    }
    installed = true;
    GRPC_LOGGERS
        .get(0)
        .setFilter(
            record -> {
              if (record.getThrown() instanceof io.grpc.StatusRuntimeException e) {
                log.debug("request body did not parse; call closed status={}", e.getStatus());
                return false;
              }
              return true; // anything else escaping a handler is a bug worth its stack trace
            });
    for (Logger wire : GRPC_LOGGERS.subList(1, GRPC_LOGGERS.size())) {
      wire.setFilter(
          record -> {
            if (record.getLevel().intValue() <= Level.WARNING.intValue()) {
              log.debug(
                  "malformed traffic from a client: {} {}",
                  record.getMessage(),
                  record.getThrown() == null ? "" : record.getThrown().toString());
              return false;
            }
            return true;
          });
    }
  }
}
