package dev.ballot.raft;

import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;

/**
 * Asks the voters whether they would elect it at term + 1, without changing any term (thesis 9.6).
 * Only a majority of yes moves it on to a real election, so a node that was cut off cannot raise
 * the cluster's term when it comes back.
 */
final class PreCandidate extends RoleState {
  private final VoteTally votes;

  PreCandidate(RaftNode node) {
    super(node);
    this.votes = new VoteTally(node.cluster());
  }

  @Override
  Role role() {
    return Role.PRE_CANDIDATE;
  }

  @Override
  void start() {
    node.setLeader(RaftNode.NONE);
    votes.record(node.id, true);
    if (votes.won()) {
      node.becomeCandidate();
      return;
    }
    long nextTerm = node.term() + 1;
    for (long voter : node.cluster().voters()) {
      if (voter != node.id) {
        node.send(
            new RequestVote(
                node.id, voter, nextTerm, node.log.lastIndex(), node.log.lastTerm(), true, false));
      }
    }
  }

  @Override
  void tick() {
    node.electionElapsedTicks++;
    if (node.electionTimedOut()) {
      node.campaign();
    }
  }

  @Override
  void step(Message m) {
    if (m instanceof VoteResponse vr) {
      if (!vr.preVote()) {
        return;
      }
      votes.record(vr.from(), vr.granted());
      if (votes.won()) {
        node.becomeCandidate();
      } else if (votes.lost()) {
        node.becomeFollower(node.term(), RaftNode.NONE);
      }
      return;
    }
    Candidate.yieldToLeaderOfThisTerm(node, m);
  }
}
