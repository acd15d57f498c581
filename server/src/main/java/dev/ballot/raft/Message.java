package dev.ballot.raft;

import java.util.List;

/**
 * A message between Raft nodes. Every message names its sender, its receiver and the sender's term;
 * the receiver's term rules (Raft paper, section 5.1) run before any role sees it.
 */
public sealed interface Message {
  long from();

  long to();

  long term();

  /**
   * A vote or pre-vote request. For a pre-vote, {@code term} is the term the sender would use.
   *
   * @param transfer the leader asked the sender to take over: voters set their leader lease aside
   * @param leaderGone the sender saw its leader's process go away: a voter that has not heard from
   *     its leader for two heartbeat intervals sets its lease aside
   */
  record RequestVote(
      long from,
      long to,
      long term,
      long lastLogIndex,
      long lastLogTerm,
      boolean preVote,
      boolean transfer,
      boolean leaderGone)
      implements Message {

    /** A request of an election started by a timeout or a transfer. */
    public RequestVote(
        long from,
        long to,
        long term,
        long lastLogIndex,
        long lastLogTerm,
        boolean preVote,
        boolean transfer) {
      this(from, to, term, lastLogIndex, lastLogTerm, preVote, transfer, false);
    }
  }

  record VoteResponse(long from, long to, long term, boolean granted, boolean preVote)
      implements Message {}

  record AppendEntries(
      long from,
      long to,
      long term,
      long prevLogIndex,
      long prevLogTerm,
      List<Entry> entries,
      long leaderCommit)
      implements Message {
    public AppendEntries {
      entries = List.copyOf(entries);
    }
  }

  /**
   * The answer to AppendEntries and InstallSnapshot. On success {@code matchIndex} is where the
   * follower's log now matches the leader's. On rejection {@code rejectedIndex} is the prevLogIndex
   * that did not match and ({@code conflictIndex}, {@code conflictTerm}) the backtracking hint: the
   * first index of the follower's conflicting term, or its last index + 1 with term 0 when its log
   * is too short.
   */
  record AppendResponse(
      long from,
      long to,
      long term,
      boolean success,
      long matchIndex,
      long rejectedIndex,
      long conflictIndex,
      long conflictTerm)
      implements Message {
    static AppendResponse success(long from, long to, long term, long matchIndex) {
      return new AppendResponse(from, to, term, true, matchIndex, 0, 0, 0);
    }
  }

  /** Leader liveness and commit propagation; {@code readRound} confirms ReadIndex rounds. */
  record Heartbeat(long from, long to, long term, long leaderCommit, long readRound)
      implements Message {}

  record HeartbeatResponse(long from, long to, long term, long readRound) implements Message {}

  /**
   * Sent to a follower whose next entry the leader has compacted away. The snapshot's bytes travel
   * beside the message (the transport streams them); the core only needs the metadata.
   */
  record InstallSnapshot(long from, long to, long term, SnapshotMeta snapshot) implements Message {}

  /**
   * The leader hands over leadership: the receiver, whose log the leader has brought up to date,
   * campaigns at once (thesis 3.10).
   */
  record TimeoutNow(long from, long to, long term) implements Message {}

  /** A follower asks its leader to confirm a linearizable read. */
  record ReadIndexRequest(long from, long to, long term, long context) implements Message {}

  record ReadIndexResponse(long from, long to, long term, long context, long readIndex)
      implements Message {}
}
