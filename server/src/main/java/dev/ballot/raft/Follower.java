package dev.ballot.raft;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.HeartbeatResponse;
import dev.ballot.raft.Message.InstallSnapshot;
import dev.ballot.raft.Message.ReadIndexResponse;

/** Follows the leader of the current term: appends what it sends, votes, and times out. */
final class Follower extends RoleState {

  Follower(RaftNode node) {
    super(node);
  }

  @Override
  Role role() {
    return Role.FOLLOWER;
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
    if (m instanceof AppendEntries ae) {
      heardFromLeader(m);
      handleAppend(ae);
    } else if (m instanceof Heartbeat hb) {
      heardFromLeader(m);
      // The leader sends min(our match, its commit), so everything up to it is in our log.
      node.log.commitTo(Math.min(hb.leaderCommit(), node.log.lastIndex()));
      node.send(new HeartbeatResponse(node.id, hb.from(), node.term(), hb.readRound()));
    } else if (m instanceof InstallSnapshot is) {
      heardFromLeader(m);
      handleSnapshot(is);
    } else if (m instanceof ReadIndexResponse rr) {
      node.addReadState(new ReadState(rr.context(), rr.readIndex()));
    } else if (m instanceof Message.TimeoutNow tn) {
      node.timeoutNow(tn);
    }
    // Anything else (vote answers of an election we left, acks meant for a leader) is stale.
  }

  private void heardFromLeader(Message m) {
    node.electionElapsedTicks = 0;
    node.setLeader(m.from());
  }

  private void handleAppend(AppendEntries ae) {
    RaftLog log = node.log;
    if (ae.prevLogIndex() < log.committed()) {
      // Everything up to our commit index already matches: tell the leader where we are.
      node.send(AppendResponse.success(node.id, ae.from(), node.term(), log.committed()));
      return;
    }
    if (log.matchTerm(ae.prevLogIndex(), ae.prevLogTerm())) {
      long lastNew = log.appendFromLeader(ae.prevLogIndex(), ae.entries());
      log.commitTo(Math.min(ae.leaderCommit(), lastNew));
      node.send(AppendResponse.success(node.id, ae.from(), node.term(), lastNew));
      return;
    }
    long conflictIndex;
    long conflictTerm;
    if (ae.prevLogIndex() > log.lastIndex()) {
      conflictIndex = log.lastIndex() + 1;
      conflictTerm = 0;
    } else {
      conflictIndex = log.firstIndexOfTermAt(ae.prevLogIndex());
      conflictTerm = log.term(ae.prevLogIndex());
    }
    node.send(
        new AppendResponse(
            node.id,
            ae.from(),
            node.term(),
            false,
            0,
            ae.prevLogIndex(),
            conflictIndex,
            conflictTerm));
  }

  private void handleSnapshot(InstallSnapshot is) {
    RaftLog log = node.log;
    SnapshotMeta snap = is.snapshot();
    if (snap.index() <= log.committed()) {
      node.send(AppendResponse.success(node.id, is.from(), node.term(), log.committed()));
      return;
    }
    if (log.matchTerm(snap.index(), snap.term())) {
      // We already have the snapshot's last entry, hence every entry before it: fast-forward.
      log.commitTo(snap.index());
    } else {
      log.restore(snap);
      node.installSnapshot(snap);
    }
    node.send(AppendResponse.success(node.id, is.from(), node.term(), snap.index()));
  }
}
