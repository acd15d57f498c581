package dev.ballot.sim;

/** Which faults a simulated run injects. Every run draws one from its seed. */
enum FaultMix {
  /** A healthy network and no crashes: the baseline must work. */
  CALM(1, false, false, false, false, false),
  /** Messages dropped, duplicated, delayed and reordered. */
  LOSSY_NETWORK(1, true, false, false, false, false),
  /** Nodes cut off, groups split, links cut in one direction. */
  PARTITIONS(1, false, true, false, false, false),
  /** Nodes crash (losing unsynced writes) and restart. */
  CRASHES(1, false, false, true, false, false),
  /** Crashes with snapshots and log compaction on every node, so restarts need InstallSnapshot. */
  CRASHES_WITH_COMPACTION(1, false, false, true, true, false),
  /**
   * Leaders crash or are cut off every few hundred ms, often right after they win. The races of
   * Raft's figure 8 are rare, so this mix gets a third of all seeds and longer runs.
   */
  LEADER_CHURN(3, false, true, true, false, false),
  /**
   * With compaction on every node, one follower at a time is cut off for seconds while writes go
   * on, so it returns far behind the compacted log and must install a snapshot.
   */
  FAR_BEHIND(1, false, false, false, true, false),
  /**
   * Nodes join with fresh ids, learners are promoted, members (the leader too) removed and
   * leadership moved, among crashes and partitions; compaction is on in half the runs, so joiners
   * catch up by log or by snapshot, and pre-vote is off in a quarter of them.
   */
  MEMBERSHIP(2, false, true, true, false, true),
  /** Everything at once. */
  CHAOS(1, true, true, true, true, true);

  /** How often a seed draws this mix, relative to the others. */
  final int weight;

  final boolean lossy;
  final boolean partitions;
  final boolean crashes;
  final boolean compaction;
  final boolean membership;

  FaultMix(
      int weight,
      boolean lossy,
      boolean partitions,
      boolean crashes,
      boolean compaction,
      boolean membership) {
    this.weight = weight;
    this.lossy = lossy;
    this.partitions = partitions;
    this.crashes = crashes;
    this.compaction = compaction;
    this.membership = membership;
  }

  /** Draws a mix according to the weights. */
  static FaultMix draw(java.util.Random random) {
    int total = 0;
    for (FaultMix m : values()) {
      total += m.weight;
    }
    int pick = random.nextInt(total);
    for (FaultMix m : values()) {
      pick -= m.weight;
      if (pick < 0) {
        return m;
      }
    }
    throw new IllegalStateException("weights changed while drawing");
  }
}
