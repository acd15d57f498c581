package dev.ballot.sim;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ClusterConfig.Change;
import dev.ballot.raft.ClusterConfig.ChangeKind;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Membership changes in a simulated run, made the way the server's membership layer makes them. A
 * joining node gets a fresh id (never reused, even when its addition is lost), is added as a
 * learner, and starts with an empty log once that commits, knowing only the committed
 * configuration, as a registered node is told. Learners are promoted, members (the leader too)
 * removed, and leadership moved to a random voter. A removed node stops itself some time after its
 * removal commits: sometimes at once, sometimes seconds later, so that it tries to disrupt.
 */
final class SimMembership {
  /** What the membership layer needs from the run. */
  interface Cluster {
    /** The leader of the highest term among running nodes, or null. */
    SimServer leader();

    /** Node {@code id}, or null if it never started. */
    SimServer node(long id);

    List<SimServer> nodes();

    void startJoiner(long id, ClusterConfig joinConfig);

    void stopForGood(SimServer node);

    void after(long delayMs, Runnable action);
  }

  /** Members (voters and learners) a change may grow the cluster to. */
  private static final int MAX_MEMBERS = 7;

  /** Fewer voters than this and no voter is removed: two voters must stay. */
  private static final int MIN_VOTERS_TO_REMOVE_ONE = 3;

  private final Random random;
  private final Cluster cluster;
  private final long maxNodeId;
  private long nextNodeId;

  /** The newest committed configuration acted upon (joiners started, removed nodes stopped). */
  private long actedOnConfigIndex;

  /** Joiners whose start is scheduled, and nodes whose removal committed. */
  private final TreeSet<Long> joining = new TreeSet<>();

  private final TreeSet<Long> removed = new TreeSet<>();

  /** Leaders that proposed their own removal, and the node leadership was last handed to. */
  private final TreeSet<Long> leadersLeaving = new TreeSet<>();

  private long transferTarget = RaftNode.NONE;

  /** False once the faults heal: the run then only has to recover. */
  private boolean changing = true;

  long changesCommitted;
  long joinersStarted;
  long leadersRemoved;
  long transfersCompleted;

  SimMembership(Random random, Cluster cluster, int firstNodeId, int maxNodeId) {
    this.random = random;
    this.cluster = cluster;
    this.nextNodeId = firstNodeId;
    this.maxNodeId = maxNodeId;
  }

  /** Asks the leader for one random change; it may refuse (a change pending, a transfer). */
  void changeRandomly() {
    SimServer leader = cluster.leader();
    if (leader != null) {
      changeOn(leader);
    }
  }

  /**
   * Asks {@code node} for a random change, sometimes two in a row: an operator in a hurry, or
   * requests queued during an election that a new leader takes up at once. The second must be
   * refused while the first is pending, and so must any before the leader commits in its term.
   */
  private void changeOn(SimServer node) {
    if (!changing || !node.isUp()) {
      return;
    }
    // On the driver's loop, between Readies, as the membership layer runs its changes.
    node.driver.call(
        core -> {
          if (core.role() == Role.LEADER) {
            propose(core);
            if (random.nextInt(4) == 0) {
              propose(core);
            }
          }
          return null;
        });
  }

  private void propose(RaftNode core) {
    ClusterConfig current = core.cluster();
    List<Long> removable = new ArrayList<>(current.learners());
    if (current.voters().size() >= MIN_VOTERS_TO_REMOVE_ONE) {
      removable.addAll(current.voters());
    }
    boolean canAdd = nextNodeId <= maxNodeId && current.members().size() < MAX_MEMBERS;
    int roll = random.nextInt(100);
    try {
      if (roll < 15) {
        transferTarget = pick(current.voters());
        core.transferLeadership(transferTarget);
      } else if (roll < 45 && canAdd) {
        core.proposeConfig(current.apply(new Change(ChangeKind.ADD_LEARNER, nextNodeId)), null);
        nextNodeId++;
      } else if (roll < 70 && !current.learners().isEmpty()) {
        long learner = pick(current.learners());
        core.proposeConfig(current.apply(new Change(ChangeKind.PROMOTE, learner)), null);
      } else if (!removable.isEmpty()) {
        // The leader often enough, when it may go: that path has the most to get wrong.
        boolean self = removable.contains(core.id()) && random.nextInt(3) == 0;
        long id = self ? core.id() : pick(removable);
        core.proposeConfig(current.apply(new Change(ChangeKind.REMOVE, id)), null);
        if (id == core.id()) {
          leadersLeaving.add(id);
        }
      }
    } catch (ProposalRejectedException e) {
      // Not leader any more, a change pending, a transfer under way: nothing was written.
    }
  }

  private long pick(List<Long> ids) {
    return ids.get(random.nextInt(ids.size()));
  }

  /**
   * A node applied the configuration entry at {@code index}: it is committed. Starts the nodes it
   * added and schedules the stop of those it removed (once per configuration, newest first wins).
   */
  void committed(long index, ClusterConfig config) {
    if (index <= actedOnConfigIndex) {
      return;
    }
    actedOnConfigIndex = index;
    changesCommitted++;
    for (long id : config.members()) {
      if (cluster.node(id) == null && joining.add(id)) {
        cluster.after(1 + random.nextInt(30), () -> startJoiner(id, config));
      }
    }
    List<Long> gone = new ArrayList<>();
    for (SimServer n : cluster.nodes()) {
      if (!config.isMember(n.id)) {
        gone.add(n.id);
      }
    }
    for (long id : joining) {
      if (!config.isMember(id) && cluster.node(id) == null) {
        gone.add(id);
      }
    }
    for (long id : gone) {
      if (removed.add(id)) {
        leadersRemoved += leadersLeaving.contains(id) ? 1 : 0;
        long delayMs = random.nextInt(10) < 3 ? random.nextInt(20) : 200 + random.nextInt(2_800);
        cluster.after(delayMs, () -> stop(id));
      }
    }
  }

  private void startJoiner(long id, ClusterConfig joinConfig) {
    if (!removed.contains(id)) {
      cluster.startJoiner(id, joinConfig);
      joinersStarted++;
    }
  }

  private void stop(long id) {
    SimServer n = cluster.node(id);
    if (n != null) {
      cluster.stopForGood(n);
    }
  }

  /** No more changes; the ones under way complete (joiners start, removed nodes stop). */
  void stopChanging() {
    changing = false;
  }

  /** A node won an election: was it the target of the last transfer? Then maybe rush a change. */
  void becameLeader(SimServer node) {
    if (node.id == transferTarget) {
      transfersCompleted++;
      transferTarget = RaftNode.NONE;
    }
    if (random.nextInt(3) == 0) {
      cluster.after(random.nextInt(5), () -> changeOn(node));
    }
  }
}
