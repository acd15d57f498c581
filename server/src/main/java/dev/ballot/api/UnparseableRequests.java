package dev.ballot.api;

import io.grpc.StatusRuntimeException;
import java.util.logging.Filter;
import java.util.logging.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a request whose body does not parse from writing a stack trace to the log. gRPC (with
 * handlers on the network threads) closes such a call itself, then rethrows the parse error, which
 * its executor logs at SEVERE through java.util.logging: some 40 lines per bad request, so a client
 * sending garbage could fill a node's disk with logs. Those records are dropped (counted at DEBUG);
 * any other exception a handler lets escape is still logged.
 */
final class UnparseableRequests {
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(UnparseableRequests.class);

  /** Held strongly: java.util.logging forgets the settings of a logger nobody references. */
  private static final Logger GRPC_EXECUTOR_LOG =
      Logger.getLogger("io.grpc.internal.SerializeReentrantCallsDirectExecutor");

  private UnparseableRequests() {}

  /** Installs the filter (once per process; idempotent). */
  static synchronized void quiet() {
    if (GRPC_EXECUTOR_LOG.getFilter() != null) {
      return;
    }
    Filter filter =
        record -> {
          // gRPC's marshaller reports a body it cannot parse as a StatusRuntimeException; an
          // exception of a handler of ours is anything else.
          if (record.getThrown() instanceof StatusRuntimeException e) {
            log.debug("request body did not parse; call closed by gRPC status={}", e.getStatus());
            return false;
          }
          return true;
        };
    GRPC_EXECUTOR_LOG.setFilter(filter);
  }
}
