package dev.ballot.raft;

/** Why a node campaigns; it decides what the vote requests ask of voters. */
enum Campaign {
  /** The election timeout passed without a word from a leader. */
  TIMEOUT,
  /**
   * The leader told this node to take over (thesis 3.10): no pre-vote, voters ignore their lease.
   */
  TRANSFER,
  /**
   * The driver saw the leader's process go away: voters that have not heard from it for two
   * heartbeat intervals set their lease aside, and competing candidates of this kind give way to
   * the one with the better claim, so that one election settles it.
   */
  LEADER_GONE
}
