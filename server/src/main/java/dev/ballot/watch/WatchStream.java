package dev.ballot.watch;

import dev.ballot.etcd.api.WatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One client's Watch call: its watchers by id and the response stream they share. Sends are
 * serialized here; a send is refused when gRPC's flow control says the client is not reading
 * ({@code isReady} false), so nothing queues in memory beyond gRPC's own window: the watcher falls
 * behind and catches up from history once the stream is ready again.
 */
final class WatchStream {
  private final ServerCallStreamObserver<WatchResponse> out;

  /** By watch id; guarded by the hub's lock. */
  final Map<Long, Watcher> watchers = new LinkedHashMap<>();

  /** The next id for a watcher created without one (etcd numbers them from 0). */
  long nextId;

  /** A progress request waits for every watcher of the stream to catch up; guarded by the hub. */
  boolean progressPending;

  /**
   * The client asked (etcd's {@code hasleader}) that the stream end when this node has no leader.
   */
  final boolean requiresLeader;

  private boolean closed;

  WatchStream(ServerCallStreamObserver<WatchResponse> out, boolean requiresLeader) {
    this.out = out;
    this.requiresLeader = requiresLeader;
  }

  /** Sends {@code response} if the client is reading; false if it is not (or the call ended). */
  synchronized boolean trySend(WatchResponse response) {
    if (closed || !out.isReady()) {
      return false;
    }
    return send(response);
  }

  /** Sends {@code response} whatever the flow control says: for the few control responses. */
  synchronized boolean send(WatchResponse response) {
    if (closed) {
      return false;
    }
    try {
      out.onNext(response);
      return true;
    } catch (RuntimeException e) {
      // The call was cancelled under us; the hub forgets the stream when gRPC reports it.
      closed = true;
      return false;
    }
  }

  synchronized boolean isReady() {
    return !closed && out.isReady();
  }

  synchronized void close() {
    closed = true;
  }

  /** Ends the call with {@code error}. */
  synchronized void fail(RuntimeException error) {
    closed = true;
    try {
      out.onError(error);
    } catch (RuntimeException e) {
      // already cancelled
    }
  }

  /** The client ended its side: end ours. */
  synchronized void complete() {
    closed = true;
    try {
      out.onCompleted();
    } catch (RuntimeException e) {
      // already cancelled
    }
  }
}
