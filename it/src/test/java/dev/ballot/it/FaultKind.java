package dev.ballot.it;

/**
 * The faults {@link LinearizabilityTest} applies to a running cluster, each with its heal. A fault
 * strikes the leader, or a follower; {@link #start} returns the node it struck.
 */
enum FaultKind {
  /** SIGKILL, then a restart on the same data directory. */
  KILL {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, leader);
      cluster.kill9(target);
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.restart(target);
    }
  },
  /**
   * One step of a rolling restart: SIGTERM (a leader hands leadership over first), the node must
   * exit cleanly (kvserver: 0); then a restart on the same data directory.
   */
  GRACEFUL_RESTART {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, leader);
      int exitCode = cluster.stop(target);
      if (exitCode != cluster.flavor().cleanStopExitCode()) {
        throw new AssertionError(
            "node " + target + " exited with " + exitCode + " after SIGTERM, not a clean stop");
      }
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.restart(target);
    }
  },
  /** SIGSTOP, then SIGCONT: the process is frozen with its connections open. */
  PAUSE {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, leader);
      cluster.pause(target);
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.resume(target);
    }
  },
  /**
   * The leader cut from both other nodes (its client port stays reachable), then joined again. The
   * links reset every connection, as a peer that refuses would.
   */
  ISOLATE_LEADER {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, true);
      cluster.isolate(target);
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.heal();
    }
  },
  /**
   * The leader cut from both other nodes by links that swallow every byte without a reset, as a
   * firewall that drops packets does, then joined again: nothing tells the others it is gone.
   */
  BLACKHOLE_LEADER {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, true);
      cluster.isolate(target, LinkProxy.CutMode.BLACKHOLE);
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.heal();
    }
  },
  /** A follower cut from both other nodes, then joined again. */
  ISOLATE_FOLLOWER {
    @Override
    int start(KvCluster cluster, boolean leader) {
      int target = target(cluster, false);
      cluster.isolate(target);
      return target;
    }

    @Override
    void heal(KvCluster cluster, int target) {
      cluster.heal();
    }
  };

  /**
   * Applies the fault to the leader ({@code leader}) or to a follower, once a leader is known;
   * returns the node struck.
   */
  abstract int start(KvCluster cluster, boolean leader);

  abstract void heal(KvCluster cluster, int target);

  /**
   * Whether {@link #start} strikes the leader when asked for the leader ({@code leader}) or not.
   */
  boolean strikesLeader(boolean leader) {
    return this == ISOLATE_LEADER
        || this == BLACKHOLE_LEADER
        || (this != ISOLATE_FOLLOWER && leader);
  }

  private static int target(KvCluster cluster, boolean leader) {
    int current = cluster.awaitLeader();
    return leader ? current : (current + 1) % cluster.size();
  }
}
