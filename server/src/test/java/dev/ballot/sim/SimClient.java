package dev.ballot.sim;

import dev.ballot.node.NodeException;
import dev.ballot.raft.RaftNode;
import dev.ballot.sim.History.Op;
import java.util.concurrent.CompletionException;

/**
 * Clients of the simulated cluster, through the driver's own client calls. A write proposes a
 * unique value and is acknowledged when the node applied it; a refusal (not leader, overloaded, its
 * entry replaced) means it was never written; no answer (the node crashed) leaves its outcome
 * unknown. A read asks for a ReadIndex and, once the node has applied it, reads the node's state.
 */
final class SimClient {
  final History history = new History();
  private long nextValue = 1;
  long believedLeader = RaftNode.NONE;

  /** Starts a write on {@code server}; returns the value written. */
  long write(SimServer<Long> server) {
    long value = nextValue++;
    Op op = history.invokeWrite(value);
    server
        .driver
        .propose(SimStateMachine.encode(value))
        .whenComplete(
            (index, error) -> {
              if (error == null) {
                history.ok(op);
              } else if (definitelyNotWritten(error)) {
                history.failed(op);
              }
            });
    return value;
  }

  void read(SimServer<Long> server) {
    Op op = history.invokeRead();
    AppendLogStore store = (AppendLogStore) server.store;
    server
        .driver
        .readIndex()
        .thenCompose(server.driver::whenApplied)
        .whenComplete(
            (applied, error) -> {
              if (error == null) {
                history.readOk(op, store.valueCount());
              } else if (definitelyNotWritten(error)) {
                history.failed(op);
              }
            });
  }

  /** Nothing was written: the client may report a failure (a crash leaves it unknown). */
  private boolean definitelyNotWritten(Throwable error) {
    Throwable cause = error instanceof CompletionException c ? c.getCause() : error;
    if (!(cause instanceof NodeException ne)) {
      throw new AssertionError("unexpected failure", cause);
    }
    if (ne.kind() == NodeException.Kind.NOT_LEADER) {
      believedLeader = ne.leaderId();
    }
    return ne.kind() != NodeException.Kind.STOPPED;
  }
}
