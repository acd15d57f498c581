package dev.ballot.raft;

/**
 * The behaviour of one role in one term. {@link RaftNode} replaces the object on every transition,
 * so per-role state (votes, progress) starts fresh and never leaks into the next role.
 */
abstract sealed class RoleState permits Follower, PreCandidate, Candidate, Leader {
  final RaftNode node;

  RoleState(RaftNode node) {
    this.node = node;
  }

  abstract Role role();

  /** Called once, right after the node switched to this role. */
  void start() {}

  abstract void tick();

  /** A message of the node's current term (or a pre-vote answer for the next one). */
  abstract void step(Message m);
}
