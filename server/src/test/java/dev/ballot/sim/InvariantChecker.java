package dev.ballot.sim;

import dev.ballot.raft.Entry;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Raft's safety properties, checked as the simulation runs (paper, figure 3):
 *
 * <ul>
 *   <li>election safety: at most one leader per term;
 *   <li>log matching: two logs with an entry of the same index and term hold the same entry and
 *       agree on the term just before it;
 *   <li>leader completeness / state machine safety: an entry once committed never changes, and
 *       every node applies the same entry at each index;
 *   <li>terms never decrease on a node, across restarts too.
 * </ul>
 */
final class InvariantChecker {
  private record IndexTerm(long index, long term) {}

  private record Written(Entry entry, long previousTerm) {}

  private final Map<Long, Long> leaderOfTerm = new HashMap<>();
  private final Map<IndexTerm, Written> written = new HashMap<>();
  private final TreeMap<Long, Entry> committed = new TreeMap<>();

  /** State machine hash after applying each index, as first seen on any node. */
  private final Map<Long, Long> appliedHash = new HashMap<>();

  private final long[] highestTerm;
  private final long[] checkedCommit;

  InvariantChecker(int nodeCount) {
    highestTerm = new long[nodeCount + 1];
    checkedCommit = new long[nodeCount + 1];
  }

  /** After every event, for every running node. */
  void checkNode(RaftNode node) {
    int id = (int) node.id();
    if (node.term() < highestTerm[id]) {
      fail("term of node " + id + " went back from " + highestTerm[id] + " to " + node.term());
    }
    highestTerm[id] = node.term();
    if (node.role() == Role.LEADER) {
      Long other = leaderOfTerm.putIfAbsent(node.term(), node.id());
      if (other != null && other != node.id()) {
        fail("two leaders in term " + node.term() + ": " + other + " and " + id);
      }
    }
    long commit = node.commitIndex();
    for (long i = Math.max(checkedCommit[id] + 1, node.firstIndex()); i <= commit; i++) {
      recordCommitted(node.entryAt(i), "node " + id + " committed");
    }
    checkedCommit[id] = Math.max(checkedCommit[id], commit);
  }

  /** A node's log gained {@code entries} (maybe replacing a suffix). */
  void entriesWritten(RaftNode node, List<Entry> entries) {
    for (Entry e : entries) {
      long previousTerm = node.termAt(e.index() - 1);
      Written w = new Written(e, previousTerm);
      Written before = written.putIfAbsent(new IndexTerm(e.index(), e.term()), w);
      if (before != null) {
        if (!before.entry().equals(e)) {
          fail("log matching: two different entries at index " + e.index() + " term " + e.term());
        }
        if (previousTerm >= 0
            && before.previousTerm() >= 0
            && previousTerm != before.previousTerm()) {
          fail(
              "log matching: entries "
                  + e.index()
                  + "/"
                  + e.term()
                  + " follow different terms "
                  + before.previousTerm()
                  + " and "
                  + previousTerm);
        }
      }
      Entry c = committed.get(e.index());
      if (c != null && !c.equals(e)) {
        fail("node " + node.id() + " overwrote committed entry " + c + " with " + e);
      }
    }
  }

  /** A node restarted from storage: it resumes its commit knowledge from there. */
  void restarted(RaftNode node) {
    checkedCommit[(int) node.id()] = node.firstIndex() - 1;
    checkNode(node);
  }

  void applied(long nodeId, Entry e, long stateHash) {
    Entry c = committed.get(e.index());
    if (c == null) {
      fail("node " + nodeId + " applied " + e + " that no node has reported committed");
    } else if (!c.equals(e)) {
      fail("node " + nodeId + " applied " + e + " but " + c + " is committed there");
    }
    checkStateHash(nodeId, e.index(), stateHash);
  }

  void snapshotInstalled(long nodeId, SimSnapshot s) {
    checkStateHash(nodeId, s.meta().index(), s.hash());
  }

  private void checkStateHash(long nodeId, long index, long hash) {
    Long before = appliedHash.putIfAbsent(index, hash);
    if (before != null && before != hash) {
      fail("node " + nodeId + " state after index " + index + " differs from another node's");
    }
  }

  private void recordCommitted(Entry e, String who) {
    Entry before = committed.putIfAbsent(e.index(), e);
    if (before != null && !before.equals(e)) {
      fail(who + " " + e + " but " + before + " was committed at that index");
    }
  }

  /** Client values of the committed log, in log order; the log must have no gaps. */
  List<Long> committedValues() {
    long expected = 1;
    java.util.ArrayList<Long> values = new java.util.ArrayList<>();
    for (Entry e : committed.values()) {
      if (e.index() != expected) {
        fail("committed log has a gap before index " + e.index());
      }
      expected++;
      if (e.type() == dev.ballot.raft.EntryType.NORMAL) {
        values.add(SimStateMachine.decode(e.data()));
      }
    }
    return values;
  }

  long highestCommitted() {
    return committed.isEmpty() ? 0 : committed.lastKey();
  }

  private static void fail(String message) {
    throw new InvariantViolation(message);
  }

  /** A broken safety property; the simulation reports it with the seed. */
  static final class InvariantViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvariantViolation(String message) {
      super(message);
    }
  }
}
