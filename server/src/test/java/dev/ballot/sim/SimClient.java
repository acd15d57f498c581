package dev.ballot.sim;

import dev.ballot.raft.Entry;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.ReadState;
import dev.ballot.sim.History.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Clients of the simulated cluster. A write proposes a unique value on a node and is acknowledged
 * when that node applies it at the index it was given (or fails when another entry lands there). A
 * read asks for a ReadIndex and, once the node has applied that index, reads its state.
 */
final class SimClient {
  private record PendingWrite(Op op, long term, long value) {}

  private record WaitingRead(Op op, long readIndex) {}

  final History history = new History();
  private final List<Map<Long, PendingWrite>> writesAtIndex = new ArrayList<>();
  private final List<Map<Long, Op>> readsByContext = new ArrayList<>();
  private final List<List<WaitingRead>> readsWaitingApply = new ArrayList<>();
  private long nextValue = 1;
  private long nextContext = 1;
  long believedLeader = RaftNode.NONE;

  /** Clients of nodes 1..maxNodeId, the ids a run may ever start. */
  SimClient(int maxNodeId) {
    for (int i = 0; i < maxNodeId; i++) {
      writesAtIndex.add(new TreeMap<>());
      readsByContext.add(new HashMap<>());
      readsWaitingApply.add(new ArrayList<>());
    }
  }

  /** Starts a write on {@code node}; returns the value written. */
  long write(SimNode node) {
    long value = nextValue++;
    Op op = history.invokeWrite(value);
    node.submit(
        () -> {
          try {
            long index = node.core.propose(List.of(SimStateMachine.encode(value)));
            writesAtIndex.get(slot(node)).put(index, new PendingWrite(op, node.core.term(), value));
          } catch (ProposalRejectedException e) {
            history.failed(op);
            if (e.leaderHint() != RaftNode.NONE) {
              believedLeader = e.leaderHint();
            }
          }
        });
    return value;
  }

  void read(SimNode node) {
    long context = nextContext++;
    Op op = history.invokeRead();
    node.submit(
        () -> {
          try {
            node.core.readIndex(context);
            readsByContext.get(slot(node)).put(context, op);
          } catch (ProposalRejectedException e) {
            history.failed(op);
          }
        });
  }

  void applied(SimNode node, Entry e) {
    PendingWrite w = writesAtIndex.get(slot(node)).remove(e.index());
    if (w != null) {
      boolean ours =
          e.term() == w.term()
              && e.data().length == 8
              && SimStateMachine.decode(e.data()) == w.value();
      if (ours) {
        history.ok(w.op());
      } else {
        history.failed(w.op()); // another entry took its index: it was never committed
      }
    }
    serveReads(node);
  }

  void readState(SimNode node, ReadState rs) {
    Op op = readsByContext.get(slot(node)).remove(rs.context());
    if (op != null) {
      readsWaitingApply.get(slot(node)).add(new WaitingRead(op, rs.readIndex()));
      serveReads(node);
    }
  }

  void snapshotInstalled(SimNode node) {
    serveReads(node);
  }

  private void serveReads(SimNode node) {
    Iterator<WaitingRead> it = readsWaitingApply.get(slot(node)).iterator();
    while (it.hasNext()) {
      WaitingRead r = it.next();
      if (node.stateMachine.appliedIndex() >= r.readIndex()) {
        history.readOk(r.op(), node.stateMachine.valueCount());
        it.remove();
      }
    }
  }

  /** A crash (or a stop) loses the node's in-flight requests: their outcome stays unknown. */
  void crashed(SimNode node) {
    writesAtIndex.get(slot(node)).clear();
    readsByContext.get(slot(node)).clear();
    readsWaitingApply.get(slot(node)).clear();
  }

  int pendingWrites() {
    int n = 0;
    for (Map<Long, PendingWrite> m : writesAtIndex) {
      n += m.size();
    }
    return n;
  }

  private int slot(SimNode node) {
    return (int) node.id - 1;
  }
}
