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
 *   <li>leader completeness: every new leader holds every committed entry;
 *   <li>state machine safety: an entry once committed never changes on a node that knew it, and
 *       every node applies the same entry at each index;
 *   <li>terms never decrease on a node, and a restart never goes back past a synced term.
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

  /** Highest term seen in the node's memory since it last started. */
  private final long[] highestTerm;

  /** Highest term the node has synced: a restart must never come back below it. */
  private final long[] durableTerm;

  private final long[] checkedCommit;

  InvariantChecker(int nodeCount) {
    highestTerm = new long[nodeCount + 1];
    durableTerm = new long[nodeCount + 1];
    checkedCommit = new long[nodeCount + 1];
  }

  /** A node's hard state reached its disk. */
  void hardStateSynced(long nodeId, dev.ballot.raft.HardState hs) {
    int id = (int) nodeId;
    if (hs.term() < durableTerm[id]) {
      fail("node " + id + " synced term " + hs.term() + " after term " + durableTerm[id]);
    }
    durableTerm[id] = hs.term();
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
      if (other == null) {
        checkLeaderCompleteness(node);
      } else if (other != node.id()) {
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
      // A stale node may write another entry where it never had the committed one; a node that
      // knew the index was committed may not change it.
      Entry c = committed.get(e.index());
      if (c != null && !c.equals(e) && e.index() <= checkedCommit[(int) node.id()]) {
        fail("node " + node.id() + " overwrote committed entry " + c + " with " + e);
      }
    }
  }

  /** Leader completeness (paper 5.4): a new leader's log holds every committed entry. */
  private void checkLeaderCompleteness(RaftNode leader) {
    if (committed.isEmpty()) {
      return;
    }
    long highest = committed.lastKey();
    if (leader.lastIndex() < highest) {
      fail(
          "leader "
              + leader.id()
              + " of term "
              + leader.term()
              + " lacks committed entries "
              + (leader.lastIndex() + 1)
              + ".."
              + highest);
    }
    for (long i = leader.firstIndex(); i <= highest; i++) {
      Entry c = committed.get(i);
      if (c != null && !c.equals(leader.entryAt(i))) {
        fail(
            "leader "
                + leader.id()
                + " of term "
                + leader.term()
                + " has "
                + leader.entryAt(i)
                + " where "
                + c
                + " is committed");
      }
    }
  }

  /**
   * A node restarted from storage: its term is the last synced one (a term change that was not
   * synced yet may be lost, since nothing that depends on it was sent), and it resumes its commit
   * knowledge from there.
   */
  void restarted(RaftNode node) {
    int id = (int) node.id();
    if (node.term() < durableTerm[id]) {
      fail(
          "node "
              + id
              + " restarted at term "
              + node.term()
              + " but had synced "
              + durableTerm[id]);
    }
    highestTerm[id] = node.term();
    checkedCommit[id] = node.firstIndex() - 1;
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
