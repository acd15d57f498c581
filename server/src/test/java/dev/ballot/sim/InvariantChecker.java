package dev.ballot.sim;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.raft.SnapshotMeta;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
 *
 * <p>And for membership changes (thesis chapter 4), across every node that ever existed:
 *
 * <ul>
 *   <li>each committed configuration is one single-server change from the committed one before;
 *   <li>no log holds more than one configuration entry beyond the commit index;
 *   <li>a new leader is a voter in its own configuration, and never a node whose removal has
 *       committed;
 *   <li>a snapshot carries the configuration committed at its index.
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

  /** The configuration before any CONFIG entry, then each committed one by index. */
  private final ClusterConfig bootstrapConfig;

  private final TreeMap<Long, ClusterConfig> committedConfigs = new TreeMap<>();

  /** Committed entries up to here are checked as a chain of single-server changes. */
  private long chainCheckedTo;

  private ClusterConfig chainConfig;

  /** Nodes whose removal has committed: none of them may lead again. */
  private final Set<Long> removedForGood = new TreeSet<>();

  /** What joining nodes were told; see {@link #checkSnapshotConfig}. */
  private final Set<ClusterConfig> joinConfigs = new HashSet<>();

  /** Checks nodes 1..maxNodeId, the ids a run may ever start, that began with {@code bootstrap}. */
  InvariantChecker(int maxNodeId, ClusterConfig bootstrap) {
    highestTerm = new long[maxNodeId + 1];
    durableTerm = new long[maxNodeId + 1];
    checkedCommit = new long[maxNodeId + 1];
    bootstrapConfig = bootstrap;
    chainConfig = bootstrap;
  }

  /** A node joined, knowing {@code joinConfig} as its configuration before any CONFIG entry. */
  void joined(ClusterConfig joinConfig) {
    joinConfigs.add(joinConfig);
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
        checkLeaderMembership(node);
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
    boolean configWritten = false;
    for (Entry e : entries) {
      configWritten |= e.type() == EntryType.CONFIG;
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
    if (configWritten) {
      checkOneUncommittedConfig(node);
    }
  }

  /**
   * A leader proposes a configuration only once the previous one is committed (thesis 4.1), so no
   * log, which is a prefix of some leader's log, holds two configuration entries past the highest
   * index any node knows committed.
   */
  private void checkOneUncommittedConfig(RaftNode node) {
    long commit = highestCommitted();
    long first = -1;
    for (long i = Math.max(commit + 1, node.firstIndex()); i <= node.lastIndex(); i++) {
      if (node.entryAt(i).type() != EntryType.CONFIG) {
        continue;
      }
      if (first >= 0) {
        fail(
            "node "
                + node.id()
                + " holds configuration entries at "
                + first
                + " and "
                + i
                + ", both past the commit index "
                + commit);
      }
      first = i;
    }
  }

  /** A leader won with the votes of its own configuration: it is a voter, not a removed node. */
  private void checkLeaderMembership(RaftNode leader) {
    if (!leader.cluster().isVoter(leader.id())) {
      fail(
          "leader "
              + leader.id()
              + " of term "
              + leader.term()
              + " is not a voter in its configuration "
              + leader.cluster());
    }
    if (removedForGood.contains(leader.id())) {
      fail("node " + leader.id() + " leads term " + leader.term() + " after its removal committed");
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
    applied(nodeId, e);
    checkStateHash(nodeId, e.index(), stateHash);
  }

  /** A node applied {@code e} but its state after it cannot be seen (held back in a batch). */
  void applied(long nodeId, Entry e) {
    Entry c = committed.get(e.index());
    if (c == null) {
      fail("node " + nodeId + " applied " + e + " that no node has reported committed");
    } else if (!c.equals(e)) {
      fail("node " + nodeId + " applied " + e + " but " + c + " is committed there");
    }
  }

  /** A node applied an entry that carries no command; only its index is known here. */
  void appliedEmpty(long nodeId, long index, long stateHash) {
    Entry c = committed.get(index);
    if (c == null) {
      fail("node " + nodeId + " applied index " + index + " that no node has reported committed");
    } else if (c.type() == EntryType.CONFIG || c.data().length != 0) {
      fail("node " + nodeId + " applied index " + index + " as empty but " + c + " is committed");
    }
    checkStateHash(nodeId, index, stateHash);
  }

  void snapshotInstalled(long nodeId, SnapshotMeta meta, long stateHash) {
    checkStateHash(nodeId, meta.index(), stateHash);
    checkSnapshotConfig(nodeId, meta);
  }

  void snapshotTaken(long nodeId, SnapshotMeta meta) {
    checkSnapshotConfig(nodeId, meta);
    // Taken while the apply loop went on: the term is learned for whatever index it holds.
    Entry c = committed.get(meta.index());
    if (c != null && c.term() != meta.term()) {
      fail(
          "node "
              + nodeId
              + " took snapshot "
              + meta
              + " of term "
              + c.term()
              + " committed there");
    }
  }

  /**
   * A snapshot carries the configuration committed at its index. One exception: a joiner knows
   * nothing of the configuration before the first CONFIG entry (the bootstrap one is in no entry),
   * so what it was told stands in for it there, also in snapshots taken from its log.
   */
  private void checkSnapshotConfig(long nodeId, SnapshotMeta meta) {
    if (chainCheckedTo < meta.index()) {
      fail("node " + nodeId + " has a snapshot at " + meta.index() + " past the committed log");
    }
    Map.Entry<Long, ClusterConfig> floor = committedConfigs.floorEntry(meta.index());
    ClusterConfig expected = floor == null ? bootstrapConfig : floor.getValue();
    boolean joinerView = floor == null && joinConfigs.contains(meta.config());
    if (!meta.config().equals(expected) && !joinerView) {
      fail(
          "node "
              + nodeId
              + " has snapshot "
              + meta
              + " but "
              + expected
              + " is the configuration committed at its index");
    }
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
    if (before == null) {
      checkConfigChain();
    }
  }

  /** Walks the committed log as far as it has no gap: configurations change one server a time. */
  private void checkConfigChain() {
    Entry e;
    while ((e = committed.get(chainCheckedTo + 1)) != null) {
      chainCheckedTo++;
      if (e.type() != EntryType.CONFIG) {
        continue;
      }
      ClusterConfig next = ConfigEntry.decode(e.data()).config();
      try {
        chainConfig.changeTo(next);
      } catch (IllegalArgumentException notOneChange) {
        fail(
            "committed configuration "
                + next
                + " at "
                + e.index()
                + " is not one single-server change from "
                + chainConfig
                + ": "
                + notOneChange.getMessage());
      }
      for (long id : chainConfig.members()) {
        if (!next.isMember(id)) {
          removedForGood.add(id);
        }
      }
      committedConfigs.put(e.index(), next);
      chainConfig = next;
    }
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
