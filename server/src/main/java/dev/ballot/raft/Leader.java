package dev.ballot.raft;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.HeartbeatResponse;
import dev.ballot.raft.Message.InstallSnapshot;
import dev.ballot.raft.Message.ReadIndexRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Replicates the log, decides commits, confirms reads and watches that a majority still follows.
 */
final class Leader extends RoleState {
  /** A snapshot unacknowledged for this many election timeouts is sent again. */
  private static final int SNAPSHOT_RETRY_ELECTION_TIMEOUTS = 3;

  /** Per peer, in ascending id order. */
  private final TreeMap<Long, Progress> progress = new TreeMap<>();

  private final ReadIndexQueue reads;
  private int heartbeatElapsedTicks;

  /** The no-op this leader appended; committing it means every earlier entry is committed. */
  private long firstIndexOfTerm;

  private long uncommittedBytes;

  Leader(RaftNode node) {
    super(node);
    this.reads = new ReadIndexQueue(node.cluster(), node.id);
  }

  @Override
  Role role() {
    return Role.LEADER;
  }

  @Override
  void start() {
    long next = node.log.lastIndex() + 1;
    for (long peer : node.peers()) {
      progress.put(peer, new Progress(next, node.config.maxInflightAppends()));
    }
    firstIndexOfTerm = next;
    node.log.append(List.of(Entry.noop(node.term(), next)));
    broadcastAppend();
  }

  // ---------------------------------------------------------------- time

  @Override
  void tick() {
    node.electionElapsedTicks++;
    heartbeatElapsedTicks++;
    for (Progress pr : progress.values()) {
      // The transport reports failed snapshot sends; this also covers a lost acknowledgement.
      if (pr.snapshotWaitExpired(SNAPSHOT_RETRY_ELECTION_TIMEOUTS * node.electionTimeout())) {
        pr.becomeProbe();
      }
    }
    if (node.electionElapsedTicks >= node.electionTimeout()) {
      node.electionElapsedTicks = 0;
      if (node.config.checkQuorum() && !quorumActive()) {
        node.becomeFollower(node.term(), RaftNode.NONE);
        return;
      }
    }
    if (heartbeatElapsedTicks >= node.config.heartbeatIntervalTicks()) {
      heartbeatElapsedTicks = 0;
      broadcastHeartbeat(reads.roundForHeartbeat());
    }
  }

  /** Check-quorum: has a majority of voters (counting us) answered since the last check? */
  private boolean quorumActive() {
    int active = 1;
    for (var e : progress.entrySet()) {
      if (node.cluster().isVoter(e.getKey()) && e.getValue().recentActive()) {
        active++;
      }
      e.getValue().setRecentActive(false);
    }
    return active >= node.cluster().quorum();
  }

  // ---------------------------------------------------------------- client input

  long propose(List<byte[]> commands) throws ProposalRejectedException {
    long bytes = 0;
    for (byte[] c : commands) {
      bytes += c.length;
    }
    // One proposal is always let through when nothing is pending, however large.
    if (uncommittedBytes > 0 && uncommittedBytes + bytes > node.config.maxUncommittedBytes()) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.TOO_MANY_UNCOMMITTED_BYTES,
          node.id,
          "uncommitted bytes "
              + uncommittedBytes
              + " + "
              + bytes
              + " would exceed "
              + node.config.maxUncommittedBytes());
    }
    List<Entry> entries = new ArrayList<>(commands.size());
    long index = node.log.lastIndex();
    for (byte[] c : commands) {
      entries.add(new Entry(node.term(), ++index, EntryType.NORMAL, c));
    }
    node.log.append(entries);
    uncommittedBytes += bytes;
    broadcastAppend();
    return index;
  }

  void readIndex(long context, long requester) {
    boolean committedInTerm = node.log.committed() >= firstIndexOfTerm;
    long round = reads.add(context, requester, committedInTerm ? node.log.committed() : -1);
    if (round > 0) {
      broadcastHeartbeat(round);
    }
    releaseReads();
  }

  // ---------------------------------------------------------------- driver reports

  /** The driver persisted our own log: our copy now counts towards commits. */
  void ownLogPersisted() {
    maybeCommit();
  }

  void snapshotFailed(long peer) {
    Progress pr = progress.get(peer);
    if (pr != null && pr.state() == Progress.State.SNAPSHOT) {
      pr.becomeProbe();
    }
  }

  void peerUnreachable(long peer) {
    Progress pr = progress.get(peer);
    if (pr != null && pr.state() == Progress.State.REPLICATE) {
      pr.becomeProbe();
    }
  }

  // ---------------------------------------------------------------- messages

  @Override
  void step(Message m) {
    if (m instanceof AppendResponse ar) {
      handleAppendResponse(ar);
    } else if (m instanceof HeartbeatResponse hr) {
      handleHeartbeatResponse(hr);
    } else if (m instanceof ReadIndexRequest rr) {
      if (node.cluster().isMember(rr.from())) {
        readIndex(rr.context(), rr.from());
      }
    } else if (m instanceof AppendEntries
        || m instanceof Heartbeat
        || m instanceof InstallSnapshot) {
      throw new IllegalStateException(
          "two leaders in term " + node.term() + ": " + node.id + " and " + m.from());
    }
    // Vote traffic of the election we won is stale.
  }

  private void handleAppendResponse(AppendResponse ar) {
    Progress pr = progress.get(ar.from());
    if (pr == null) {
      return;
    }
    pr.setRecentActive(true);
    if (!ar.success()) {
      if (pr.maybeDecrTo(ar.rejectedIndex(), nextIndexFromHint(ar))) {
        if (pr.state() == Progress.State.REPLICATE) {
          pr.becomeProbe();
        }
        sendAppend(ar.from(), pr, false);
      }
      return;
    }
    boolean wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(ar.matchIndex())) {
      if (wasPaused && !pr.isPaused()) {
        sendAllowed(ar.from(), pr);
      }
      return;
    }
    switch (pr.state()) {
      case PROBE -> pr.becomeReplicate();
      case SNAPSHOT -> {
        if (pr.matchIndex() >= pr.pendingSnapshotIndex()) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
      }
      case REPLICATE -> {}
    }
    if (maybeCommit()) {
      broadcastAppend();
    } else {
      sendAllowed(ar.from(), pr);
    }
  }

  /** Fast backtracking (thesis 5.3 optimisation): skip the whole conflicting term at once. */
  private long nextIndexFromHint(AppendResponse ar) {
    if (ar.conflictTerm() == 0) {
      return ar.conflictIndex();
    }
    long last = node.log.lastIndexOfTerm(ar.conflictTerm(), ar.rejectedIndex());
    return last >= 0 ? last + 1 : ar.conflictIndex();
  }

  private void handleHeartbeatResponse(HeartbeatResponse hr) {
    Progress pr = progress.get(hr.from());
    if (pr == null) {
      return;
    }
    pr.setRecentActive(true);
    pr.heartbeatAnswered();
    if (pr.matchIndex() < node.log.lastIndex()) {
      sendAppend(hr.from(), pr, true);
    }
    if (reads.ack(hr.from(), hr.readRound())) {
      releaseReads();
    }
  }

  private void releaseReads() {
    for (ReadIndexQueue.PendingRead r : reads.releasable()) {
      if (r.requester() == node.id) {
        node.addReadState(new ReadState(r.context(), r.index()));
      } else {
        node.send(
            new Message.ReadIndexResponse(
                node.id, r.requester(), node.term(), r.context(), r.index()));
      }
    }
    long round = reads.startNextRoundIfWanted();
    if (round > 0) {
      broadcastHeartbeat(round);
    }
  }

  // ---------------------------------------------------------------- commit

  /** Commits the highest index a quorum has persisted, if it belongs to this term (paper 5.4.2). */
  private boolean maybeCommit() {
    List<Long> voters = node.cluster().voters();
    long[] matches = new long[voters.size()];
    int i = 0;
    for (long voter : voters) {
      matches[i++] =
          voter == node.id
              ? node.log.stableIndex()
              : (progress.containsKey(voter) ? progress.get(voter).matchIndex() : 0);
    }
    Arrays.sort(matches);
    long quorumIndex = matches[matches.length - node.cluster().quorum()];
    long oldCommit = node.log.committed();
    if (quorumIndex <= oldCommit || node.log.term(quorumIndex) != node.term()) {
      return false;
    }
    node.log.commitTo(quorumIndex);
    for (long idx = Math.max(oldCommit + 1, firstIndexOfTerm); idx <= quorumIndex; idx++) {
      uncommittedBytes -= node.log.entry(idx).sizeBytes();
    }
    uncommittedBytes = Math.max(0, uncommittedBytes);
    if (oldCommit < firstIndexOfTerm) {
      // First commit of our term: reads that waited for it can now be given an index.
      reads.commitIndexKnown(quorumIndex);
      releaseReads();
    }
    return true;
  }

  // ---------------------------------------------------------------- sending

  private void broadcastAppend() {
    for (var e : progress.entrySet()) {
      sendAppend(e.getKey(), e.getValue(), true);
    }
  }

  /** Sends as much as the follower's state and window allow. */
  private void sendAllowed(long peer, Progress pr) {
    while (!pr.isPaused() && pr.nextIndex() <= node.log.lastIndex()) {
      if (!sendAppend(peer, pr, false)) {
        return;
      }
    }
  }

  /**
   * Sends one AppendEntries (or the snapshot, if the entries are gone) to {@code peer}. Returns
   * false if nothing could be sent.
   */
  private boolean sendAppend(long peer, Progress pr, boolean sendIfEmpty) {
    if (pr.isPaused()) {
      return false;
    }
    long prevIndex = pr.nextIndex() - 1;
    long prevTerm = node.log.term(prevIndex);
    long last = node.log.lastIndex();
    List<Entry> entries =
        prevTerm < 0
            ? null
            : node.log.slice(pr.nextIndex(), last + 1, node.config.maxAppendBytes());
    if (entries == null) {
      return sendSnapshot(peer, pr);
    }
    // A probe goes out even when empty: it asks whether the follower matches at prevIndex.
    if (entries.isEmpty() && !sendIfEmpty && pr.state() != Progress.State.PROBE) {
      return false;
    }
    node.send(
        new AppendEntries(
            node.id, peer, node.term(), prevIndex, prevTerm, entries, node.log.committed()));
    long lastSent = entries.isEmpty() ? prevIndex : entries.get(entries.size() - 1).index();
    pr.sentEntries(lastSent, !entries.isEmpty());
    return true;
  }

  private boolean sendSnapshot(long peer, Progress pr) {
    SnapshotMeta snap = node.log.snapshot();
    if (snap == null) {
      throw new IllegalStateException(
          "entries before " + node.log.firstIndex() + " are compacted but there is no snapshot");
    }
    pr.becomeSnapshot(snap.index());
    node.send(new InstallSnapshot(node.id, peer, node.term(), snap));
    return true;
  }

  private void broadcastHeartbeat(long readRound) {
    for (var e : progress.entrySet()) {
      long commit = Math.min(e.getValue().matchIndex(), node.log.committed());
      node.send(new Heartbeat(node.id, e.getKey(), node.term(), commit, readRound));
    }
  }

  @Override
  public String toString() {
    return "Leader" + progress;
  }
}
