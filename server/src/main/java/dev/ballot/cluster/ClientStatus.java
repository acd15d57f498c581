package dev.ballot.cluster;

import dev.ballot.kv.KvException;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.transport.Failures;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The edge: what a client sees for a failed leader route, with etcd's codes and messages. */
public final class ClientStatus {
  private static final Logger log = LoggerFactory.getLogger(ClientStatus.class);

  private ClientStatus() {}

  public static StatusRuntimeException of(Throwable error) {
    Throwable cause = Failures.cause(error);
    if (cause instanceof RouteFailure f) {
      return f.toStatus();
    }
    if (cause instanceof NodeException ne) {
      return EtcdStatus.of(ne);
    }
    if (cause instanceof KvException ke) {
      return ke.toStatus().asRuntimeException();
    }
    if (cause instanceof StatusRuntimeException s) {
      return s;
    }
    if (cause instanceof TimeoutException) {
      return EtcdStatus.TIMEOUT;
    }
    log.error("request failed", cause);
    return EtcdStatus.INTERNAL;
  }
}
