package dev.ballot.raft;

import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;

/**
 * Asks the voters whether they would elect it at term + 1, without changing any term (thesis 9.6).
 * Only a majority of yes moves it on to a real election, so a node that was cut off cannot raise
 * the cluster's term when it comes back.
 *
 * <p>When the leader's process is gone ({@link Campaign#LEADER_GONE}), every follower notices at
 * about the same moment and campaigns at once, so their pre-votes race. Each then grants a
 * competitor's pre-vote only if that competitor has the better claim (a more up-to-date log, or an
 * equal log and a lower id), and asks it again for its own vote otherwise: exactly one of them gets
 * a majority, and one real election settles it. Voters that ignored the first request (they had
 * just heard from the leader) are asked again every tick.
 */
final class PreCandidate extends RoleState {
  private final VoteTally votes;
  private final Campaign campaign;

  PreCandidate(RaftNode node, Campaign campaign) {
    super(node);
    this.votes = new VoteTally(node.cluster());
    this.campaign = campaign;
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
      node.becomeCandidate(campaign);
      return;
    }
    for (long voter : node.cluster().voters()) {
      if (voter != node.id) {
        ask(voter);
      }
    }
  }

  @Override
  void tick() {
    node.electionElapsedTicks++;
    if (node.electionTimedOut()) {
      node.campaign(Campaign.TIMEOUT);
    } else if (campaign == Campaign.LEADER_GONE) {
      for (long voter : node.cluster().voters()) {
        askAgain(voter);
      }
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
        node.becomeCandidate(campaign);
      } else if (votes.lost()) {
        node.becomeFollower(node.term(), RaftNode.NONE);
      }
      return;
    }
    Candidate.yieldToLeaderOfThisTerm(node, m);
  }

  /**
   * Whether this node may grant {@code rv}, a competitor's pre-vote, as far as the race between
   * candidates goes (the usual rules apply besides). Only a {@link Campaign#LEADER_GONE} campaign
   * holds its ground, and only against a claim no better than its own.
   */
  boolean yieldsTo(RequestVote rv) {
    if (campaign != Campaign.LEADER_GONE) {
      return true;
    }
    long lastTerm = node.log.lastTerm();
    long lastIndex = node.log.lastIndex();
    if (rv.lastLogTerm() != lastTerm) {
      return rv.lastLogTerm() > lastTerm;
    }
    if (rv.lastLogIndex() != lastIndex) {
      return rv.lastLogIndex() > lastIndex;
    }
    return rv.from() < node.id;
  }

  /** Asks {@code voter} again unless it has answered: it is campaigning, so it heeds us now. */
  void askAgain(long voter) {
    if (voter != node.id && node.cluster().isVoter(voter) && !votes.answered(voter)) {
      ask(voter);
    }
  }

  private void ask(long voter) {
    node.send(
        new RequestVote(
            node.id,
            voter,
            node.term() + 1,
            node.log.lastIndex(),
            node.log.lastTerm(),
            true,
            false,
            campaign == Campaign.LEADER_GONE));
  }
}
