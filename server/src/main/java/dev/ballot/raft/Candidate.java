package dev.ballot.raft;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.InstallSnapshot;
import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;

/** Has voted for itself in a new term and collects votes (paper 5.2). */
final class Candidate extends RoleState {
  private final VoteTally votes;
  private final Campaign campaign;

  Candidate(RaftNode node, Campaign campaign) {
    super(node);
    this.votes = new VoteTally(node.cluster());
    this.campaign = campaign;
  }

  @Override
  Role role() {
    return Role.CANDIDATE;
  }

  @Override
  void start() {
    votes.record(node.id, true);
    if (votes.won()) {
      node.becomeLeader();
      return;
    }
    for (long voter : node.cluster().voters()) {
      if (voter != node.id) {
        node.send(
            new RequestVote(
                node.id,
                voter,
                node.term(),
                node.log.lastIndex(),
                node.log.lastTerm(),
                false,
                campaign == Campaign.TRANSFER,
                campaign == Campaign.LEADER_GONE));
      }
    }
  }

  @Override
  void tick() {
    node.electionElapsedTicks++;
    if (node.electionTimedOut()) {
      node.campaign(Campaign.TIMEOUT);
    }
  }

  @Override
  void step(Message m) {
    if (m instanceof VoteResponse vr) {
      if (vr.preVote()) {
        return;
      }
      votes.record(vr.from(), vr.granted());
      if (votes.won()) {
        node.becomeLeader();
      } else if (votes.lost()) {
        node.becomeFollower(node.term(), RaftNode.NONE);
      }
      return;
    }
    yieldToLeaderOfThisTerm(node, m);
  }

  /** A leader of our own term exists: become its follower and handle its message as one. */
  static void yieldToLeaderOfThisTerm(RaftNode node, Message m) {
    if (m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot) {
      node.becomeFollower(node.term(), m.from());
      node.step(m);
    }
  }
}
