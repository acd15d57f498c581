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

  /** The node leadership is being handed to, or NONE. */
  private long transferTarget = RaftNode.NONE;

  private int transferElapsedTicks;

  Leader(RaftNode node) {
    super(node);
    this.reads = new ReadIndexQueue(node::cluster, node.id);
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
    if (transferTarget != RaftNode.NONE && ++transferElapsedTicks >= node.electionTimeout()) {
      transferTarget = RaftNode.NONE; // the target did not take over: lead on
    }
    for (Progress pr : progress.values()) {
      pr.tickSinceHeard();
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
    int active = node.cluster().isVoter(node.id) ? 1 : 0;
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
    refuseDuringTransfer();
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

  long proposeConfig(ClusterConfig next, byte[] context) throws ProposalRejectedException {
    refuseDuringTransfer();
    ClusterConfig current = node.cluster();
    if (node.log.committed() < firstIndexOfTerm) {
      // Thesis 4.1 (and its 2015 erratum): a leader must commit an entry of its term before it
      // changes the configuration, or two changes of different leaders could overlap.
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.CONFIG_CHANGE_PENDING,
          node.id,
          "the leader has not committed an entry of its term yet");
    }
    if (node.log.latestConfigIndex() > node.log.committed()) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.CONFIG_CHANGE_PENDING,
          node.id,
          "configuration change at index " + node.log.latestConfigIndex() + " is not committed");
    }
    // The same members with a new context (a member's peer address) change no quorum: allowed.
    if (!next.equals(current)) {
      try {
        current.changeTo(next);
      } catch (IllegalArgumentException e) {
        throw new ProposalRejectedException(
            ProposalRejectedException.Reason.INVALID_CONFIG_CHANGE, node.id, e.getMessage());
      }
    }
    byte[] data = new ConfigEntry(next, context).encode();
    long index = node.log.lastIndex() + 1;
    node.log.append(List.of(new Entry(node.term(), index, EntryType.CONFIG, data)));
    uncommittedBytes += data.length;
    configChanged();
    broadcastAppend();
    return index;
  }

  /** The configuration changed: replicate to new members, forget removed ones. */
  private void configChanged() {
    List<Long> peers = node.peers();
    progress.keySet().retainAll(peers);
    for (long peer : peers) {
      // A new member starts as a probe at our last entry; it backtracks from there.
      progress.computeIfAbsent(
          peer, p -> new Progress(node.log.lastIndex(), node.config.maxInflightAppends()));
    }
    if (transferTarget != RaftNode.NONE && !node.cluster().isVoter(transferTarget)) {
      transferTarget = RaftNode.NONE;
    }
  }

  void transferTo(long target) throws ProposalRejectedException {
    if (target == node.id) {
      return; // already leading
    }
    if (!node.cluster().isVoter(target)) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.INVALID_CONFIG_CHANGE,
          node.id,
          "node " + target + " is not a voter");
    }
    transferTarget = target;
    transferElapsedTicks = 0;
    Progress pr = progress.get(target);
    if (pr.matchIndex() == node.log.lastIndex()) {
      node.send(new Message.TimeoutNow(node.id, target, node.term()));
    } else {
      sendAppend(target, pr, true);
    }
  }

  long transferTarget() {
    return transferTarget;
  }

  /**
   * Whether the voters of {@code config} that answered us within the last election timeout
   * (counting this node) form a majority of it: the check a membership change must pass, so that
   * the configuration it makes can still commit.
   */
  boolean hasActiveQuorum(ClusterConfig config) {
    int active = 0;
    for (long voter : config.voters()) {
      if (voter == node.id || heardRecently(voter)) {
        active++;
      }
    }
    return active >= config.quorum();
  }

  /** Whether {@code peer} answered within the last election timeout. */
  boolean heardRecently(long peer) {
    Progress pr = progress.get(peer);
    return pr != null && pr.heardWithin(node.electionTimeout());
  }

  long matchIndex(long peer) {
    if (peer == node.id) {
      return node.log.stableIndex();
    }
    Progress pr = progress.get(peer);
    return pr == null ? -1 : pr.matchIndex();
  }

  int inflight(long peer) {
    Progress pr = progress.get(peer);
    return pr == null ? 0 : pr.inflight();
  }

  private void refuseDuringTransfer() throws ProposalRejectedException {
    if (transferTarget != RaftNode.NONE) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.LEADERSHIP_TRANSFER,
          node.id,
          "leadership is being transferred to node " + transferTarget);
    }
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
    if (maybeCommit() && !stepDownIfRemoved()) {
      // The followers' acknowledgements came first: tell them the commit now, not at the next
      // heartbeat, so that reads and forwarded writes waiting on a follower need not wait for it.
      broadcastAppend();
    }
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
    pr.heardFrom();
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
    if (ar.from() == transferTarget && pr.matchIndex() == node.log.lastIndex()) {
      node.send(new Message.TimeoutNow(node.id, transferTarget, node.term()));
    }
    if (maybeCommit()) {
      if (stepDownIfRemoved()) {
        return;
      }
      broadcastAppend();
    } else {
      sendAllowed(ar.from(), pr);
    }
  }

  /**
   * A leader that committed a configuration without itself as a voter steps down (thesis 4.2.2);
   * until then it led without counting itself in any majority.
   */
  private boolean stepDownIfRemoved() {
    if (node.cluster().isVoter(node.id) || node.log.committed() < node.log.latestConfigIndex()) {
      return false;
    }
    // Tell the others the commit first, so that they apply the change and elect among themselves.
    broadcastAppend();
    node.becomeFollower(node.term(), RaftNode.NONE);
    return true;
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
    pr.heardFrom();
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
