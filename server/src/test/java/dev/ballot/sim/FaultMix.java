package dev.ballot.sim;

/** Which faults a simulated run injects. Every run draws one from its seed. */
enum FaultMix {
  /** A healthy network and no crashes: the baseline must work. */
  CALM(false, false, false, false),
  /** Messages dropped, duplicated, delayed and reordered. */
  LOSSY_NETWORK(true, false, false, false),
  /** Nodes cut off, groups split, links cut in one direction. */
  PARTITIONS(false, true, false, false),
  /** Nodes crash (losing unsynced writes) and restart. */
  CRASHES(false, false, true, false),
  /** Crashes with snapshots and log compaction on every node, so restarts need InstallSnapshot. */
  CRASHES_WITH_COMPACTION(false, false, true, true),
  /** Leaders crash or are cut off every few hundred ms and come back quickly. */
  LEADER_CHURN(false, true, true, false),
  /** Everything at once. */
  CHAOS(true, true, true, true);

  final boolean lossy;
  final boolean partitions;
  final boolean crashes;
  final boolean compaction;

  FaultMix(boolean lossy, boolean partitions, boolean crashes, boolean compaction) {
    this.lossy = lossy;
    this.partitions = partitions;
    this.crashes = crashes;
    this.compaction = compaction;
  }
}
