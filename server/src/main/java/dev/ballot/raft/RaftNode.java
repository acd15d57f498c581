package dev.ballot.raft;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.InstallSnapshot;
import dev.ballot.raft.Message.ReadIndexRequest;
import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.TimeoutNow;
import dev.ballot.raft.Message.VoteResponse;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * One Raft node's consensus core: a deterministic state machine with no thread, clock, socket or
 * file. Inputs are {@link #tick()}, {@link #step(Message)}, {@link #propose(List)} and {@link
 * #readIndex(long)}; the output is a {@link Ready} that the driver persists, sends and applies
 * before calling {@link #advance(Ready)}. Not thread-safe: one thread owns it.
 *
 * <p>Term rules common to every role live here; what each role does with a message of the current
 * term lives in {@link Follower}, {@link PreCandidate}, {@link Candidate} and {@link Leader}.
 */
public final class RaftNode {
  /** "No node": no vote cast, no leader known. */
  public static final long NONE = 0;

  /** Counted for the node's metrics only: nothing in the protocol reads them. */
  private long preVotesStarted;

  private long electionsStarted;
  private long electionsWon;

  private static final Map<Role, Set<Role>> LEGAL_TRANSITIONS =
      Map.of(
          Role.FOLLOWER, EnumSet.of(Role.FOLLOWER, Role.PRE_CANDIDATE, Role.CANDIDATE),
          Role.PRE_CANDIDATE, EnumSet.of(Role.FOLLOWER, Role.PRE_CANDIDATE, Role.CANDIDATE),
          Role.CANDIDATE,
              EnumSet.of(Role.FOLLOWER, Role.PRE_CANDIDATE, Role.CANDIDATE, Role.LEADER),
          Role.LEADER, EnumSet.of(Role.FOLLOWER));

  final RaftConfig config;
  final long id;
  private final Random random;
  final RaftLog log;

  private long term;
  private long votedFor;
  private long leaderId = NONE;
  private RoleState roleState;

  int electionElapsedTicks;
  private int randomizedElectionTimeoutTicks;

  private final List<Message> outbox = new ArrayList<>();
  private final List<ReadState> readStates = new ArrayList<>();
  private SnapshotMeta snapshotToInstall;
  private HardState persistedHardState;
  private SoftState reportedSoftState;
  private boolean readyOutstanding;

  /**
   * @param cluster the configuration before the first CONFIG entry, used when storage holds no
   *     snapshot (the bootstrap members, or what a joining node was told when it registered)
   */
  public RaftNode(RaftConfig config, ClusterConfig cluster, RestoredState restored, Random random) {
    this(config, cluster, restored, random, LogReader.NONE);
  }

  /**
   * @param logReader reads persisted entries back when {@link RaftConfig#maxInMemoryLogBytes()}
   *     keeps them out of memory
   */
  public RaftNode(
      RaftConfig config,
      ClusterConfig cluster,
      RestoredState restored,
      Random random,
      LogReader logReader) {
    this.config = Objects.requireNonNull(config, "config");
    this.id = config.nodeId();
    this.random = Objects.requireNonNull(random, "random");
    if (logReader == LogReader.NONE && config.maxInMemoryLogBytes() != Long.MAX_VALUE) {
      throw new IllegalArgumentException(
          "a log bounded in memory (" + config.maxInMemoryLogBytes() + " bytes) needs a reader");
    }
    this.log =
        new RaftLog(
            restored,
            Objects.requireNonNull(cluster, "cluster"),
            logReader,
            config.maxInMemoryLogBytes());
    HardState hs = restored.hardState();
    this.term = hs.term();
    this.votedFor = hs.votedFor();
    this.persistedHardState = hs;
    this.roleState = new Follower(this);
    resetElectionTimer();
    this.reportedSoftState = softState();
  }

  // ---------------------------------------------------------------- inputs

  /** Advances logical time by one tick. */
  public void tick() {
    checkNoReadyOutstanding();
    roleState.tick();
  }

  /** Handles a message from a peer. Messages from other terms are dealt with first. */
  public void step(Message m) {
    checkNoReadyOutstanding();
    if (m.to() != id) {
      throw new IllegalArgumentException("message for " + m.to() + " stepped into node " + id);
    }
    if (m instanceof RequestVote rv
        && !cluster().isVoter(rv.from())
        && !log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())) {
      // A removed node never gets the entry that removes it, and campaigns on with a log that lacks
      // it: it must not disturb us (thesis 4.2.3), and we would refuse it anyway. A candidate
      // whose log is at least as up to date as ours may be a voter we have not heard of yet (our
      // log lags): its election may need our vote (thesis 4.1), so it is handled as usual.
      return;
    }
    if (m.term() > term) {
      if (m instanceof RequestVote rv) {
        // Leader stickiness (thesis 4.2.3): while we hear from a leader, ignore would-be
        // candidates; a partitioned node cannot depose a healthy leader when it returns.
        boolean inLease =
            config.checkQuorum() && leaderId != NONE && electionElapsedTicks < electionTimeout();
        if (inLease && !rv.transfer() && !(rv.leaderGone() && leaderSilent())) {
          return;
        }
      }
      boolean preVoteTraffic =
          (m instanceof RequestVote rv && rv.preVote())
              || (m instanceof VoteResponse vr && vr.preVote() && vr.granted());
      if (!preVoteTraffic) {
        boolean fromLeader =
            m instanceof AppendEntries || m instanceof Heartbeat || m instanceof InstallSnapshot;
        becomeFollower(m.term(), fromLeader ? m.from() : NONE);
      }
    } else if (m.term() < term) {
      if ((config.checkQuorum() || config.preVote())
          && (m instanceof AppendEntries || m instanceof Heartbeat)) {
        // A stale leader (maybe cut off for a while) learns our term and steps down. Without this
        // it could keep its followers from ever electing a new leader under pre-vote.
        send(new AppendResponse(id, m.from(), term, false, 0, 0, 0, 0));
      } else if (m instanceof RequestVote rv) {
        // Refused with our term (paper figure 2), so the candidate can campaign above it next time.
        // After a membership change this may be the only way it hears of our term: we send nothing
        // to a node that is not in our configuration.
        send(new VoteResponse(id, m.from(), term, false, rv.preVote()));
      }
      return;
    }
    if (m instanceof RequestVote rv) {
      handleVoteRequest(rv);
      return;
    }
    roleState.step(m);
  }

  /**
   * Appends commands to the log. Only the leader accepts proposals.
   *
   * @return the index of the last appended entry; the entries occupy consecutive indexes ending
   *     there, all in {@link #term()}
   */
  public long propose(List<byte[]> commands) throws ProposalRejectedException {
    checkNoReadyOutstanding();
    if (!(roleState instanceof Leader leader)) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.NOT_LEADER,
          leaderId,
          "node " + id + " is not the leader");
    }
    return leader.propose(commands);
  }

  /**
   * Appends a configuration entry that changes one member (thesis 4.1: add a learner, promote one,
   * or remove one). The new configuration takes effect on every node as soon as the entry is in its
   * log, committed or not. Only one change may be uncommitted at a time, and a leader changes the
   * configuration only once it has committed an entry of its own term.
   *
   * @param next the whole configuration after the change
   * @param context opaque bytes stored with it (the server's member addresses)
   * @return the index of the configuration entry
   */
  public long proposeConfig(ClusterConfig next, byte[] context) throws ProposalRejectedException {
    checkNoReadyOutstanding();
    if (!(roleState instanceof Leader leader)) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.NOT_LEADER,
          leaderId,
          "node " + id + " is not the leader");
    }
    return leader.proposeConfig(next, context);
  }

  /**
   * Hands leadership to {@code target} (thesis 3.10): the leader refuses new proposals, brings the
   * target's log up to date and tells it to campaign at once. If no new leader has appeared after
   * an election timeout, the leader takes proposals again.
   */
  public void transferLeadership(long target) throws ProposalRejectedException {
    checkNoReadyOutstanding();
    if (!(roleState instanceof Leader leader)) {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.NOT_LEADER,
          leaderId,
          "node " + id + " is not the leader");
    }
    leader.transferTo(target);
  }

  /**
   * Starts a linearizable read. A {@link ReadState} with the same context appears in a later Ready
   * once the leader has confirmed its leadership for it. A follower forwards the request to its
   * leader; if the request is lost, no ReadState ever appears and the caller times out.
   */
  public void readIndex(long context) throws ProposalRejectedException {
    checkNoReadyOutstanding();
    if (roleState instanceof Leader leader) {
      leader.readIndex(context, id);
    } else if (leaderId != NONE) {
      send(new ReadIndexRequest(id, leaderId, term, context));
    } else {
      throw new ProposalRejectedException(
          ProposalRejectedException.Reason.NOT_LEADER, NONE, "no leader known to node " + id);
    }
  }

  /** The driver could not deliver a snapshot to {@code peer}: retry it later. */
  public void reportSnapshotFailure(long peer) {
    checkNoReadyOutstanding();
    if (roleState instanceof Leader leader) {
      leader.snapshotFailed(peer);
    }
  }

  /**
   * The driver saw {@code peer}'s process go away: the connection to it broke and a reconnect was
   * refused at once, which a live process (slow, paused, or behind a flaky network) does not cause.
   * A follower of that peer starts a pre-vote now instead of waiting for its election timeout;
   * voters grant it only if they have not heard from the leader for two heartbeat intervals either,
   * so a wrong report cannot unseat a leader that a majority still hears.
   */
  public void reportPeerGone(long peer) {
    checkNoReadyOutstanding();
    if (roleState instanceof Leader leader) {
      leader.peerUnreachable(peer);
    } else if (roleState instanceof Follower && peer != NONE && leaderId == peer) {
      campaign(Campaign.LEADER_GONE);
    }
  }

  /** The driver could not reach {@code peer}: stop streaming to it and probe. */
  public void reportUnreachable(long peer) {
    checkNoReadyOutstanding();
    if (roleState instanceof Leader leader) {
      leader.peerUnreachable(peer);
    }
  }

  /**
   * The driver took a snapshot of the state machine; entries up to {@code compactIndex} (at most
   * the snapshot's index) may be dropped from memory. Followers that need them get the snapshot.
   */
  public void compact(SnapshotMeta snapshot, long compactIndex) {
    checkNoReadyOutstanding();
    log.compact(snapshot, compactIndex);
  }

  // ---------------------------------------------------------------- output

  public boolean hasReady() {
    return !outbox.isEmpty()
        || !readStates.isEmpty()
        || snapshotToInstall != null
        || !hardState().equals(persistedHardState)
        || !softState().equals(reportedSoftState)
        || log.stableIndex() < log.lastIndex()
        || log.applied() < log.committed();
  }

  /** What to persist, send and apply now. Must be followed by {@link #advance(Ready)}. */
  public Ready ready() {
    checkNoReadyOutstanding();
    HardState hs = hardState();
    SoftState ss = softState();
    List<Entry> entries = log.unstableEntries();
    // Term and vote must be durable before anyone hears of them; the commit index need not be
    // (a restarted node learns it again from the leader), so a commit-only change skips the sync.
    boolean mustSync =
        !entries.isEmpty()
            || snapshotToInstall != null
            || hs.term() != persistedHardState.term()
            || hs.votedFor() != persistedHardState.votedFor();
    Ready rd =
        new Ready(
            ss.equals(reportedSoftState) ? null : ss,
            hs.equals(persistedHardState) ? null : hs,
            snapshotToInstall,
            entries,
            log.nextCommittedEntries(),
            outbox,
            readStates,
            mustSync);
    outbox.clear();
    readStates.clear();
    readyOutstanding = true;
    return rd;
  }

  /**
   * The driver has persisted, sent and applied (or queued for applying) everything in {@code rd}.
   */
  public void advance(Ready rd) {
    if (!readyOutstanding) {
      throw new IllegalStateException("advance without an outstanding Ready");
    }
    readyOutstanding = false;
    if (rd.softState() != null) {
      reportedSoftState = rd.softState();
    }
    if (rd.hardState() != null) {
      persistedHardState = rd.hardState();
    }
    if (rd.snapshot() != null) {
      snapshotToInstall = null;
    }
    if (!rd.entries().isEmpty()) {
      Entry last = rd.entries().get(rd.entries().size() - 1);
      log.stableTo(last.index(), last.term());
    }
    if (!rd.committedEntries().isEmpty()) {
      log.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
    }
    if (roleState instanceof Leader leader) {
      leader.ownLogPersisted();
    }
  }

  // ---------------------------------------------------------------- status (read-only)

  public long id() {
    return id;
  }

  public long term() {
    return term;
  }

  public long votedFor() {
    return votedFor;
  }

  public long leaderId() {
    return leaderId;
  }

  public Role role() {
    return roleState.role();
  }

  /** The configuration in force: the newest in the log, committed or not. */
  public ClusterConfig cluster() {
    return log.latestConfig();
  }

  /** The timing and options this node was built with. */
  public RaftConfig config() {
    return config;
  }

  /**
   * The index of the entry that set {@link #cluster()}. When it is above {@link #commitIndex()} a
   * change is pending and no other may start.
   */
  public long configIndex() {
    return log.latestConfigIndex();
  }

  /** The configuration once the entry at {@code index} is applied (index at least firstIndex-1). */
  public ClusterConfig configAt(long index) {
    return log.configAt(index);
  }

  /**
   * On the leader, how far {@code peer}'s log is known to match ours; -1 on other nodes or for a
   * peer that is not a member.
   */
  public long matchIndex(long peer) {
    return roleState instanceof Leader leader ? leader.matchIndex(peer) : -1;
  }

  /** Pre-vote rounds this node started (each round, also a repeated one), for its metrics. */
  public long preVotesStarted() {
    return preVotesStarted;
  }

  /** Elections this node started as candidate (each term it campaigned in). */
  public long electionsStarted() {
    return electionsStarted;
  }

  /** Elections this node won. */
  public long electionsWon() {
    return electionsWon;
  }

  /** On the leader, the append messages in flight to {@code peer}; 0 on other nodes. */
  public int inflight(long peer) {
    return roleState instanceof Leader leader ? leader.inflight(peer) : 0;
  }

  /**
   * On the leader, whether a majority of {@code config}'s voters (this node counted) answered
   * within the last election timeout; false on other nodes. A configuration without such a majority
   * could not commit anything, so membership changes check it before proposing.
   */
  public boolean hasActiveQuorum(ClusterConfig config) {
    return roleState instanceof Leader leader && leader.hasActiveQuorum(config);
  }

  /** On the leader, whether {@code peer} answered within the last election timeout; else false. */
  public boolean heardRecently(long peer) {
    return roleState instanceof Leader leader && leader.heardRecently(peer);
  }

  /** On a leader handing over leadership, the target; otherwise {@link #NONE}. */
  public long transferTarget() {
    return roleState instanceof Leader leader ? leader.transferTarget() : NONE;
  }

  public long commitIndex() {
    return log.committed();
  }

  public long appliedIndex() {
    return log.applied();
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  public long firstIndex() {
    return log.firstIndex();
  }

  /** The term of the entry at {@code index}, or -1 when this node does not have it. */
  public long termAt(long index) {
    return log.term(index);
  }

  /** The entry at {@code index}; it must be in [firstIndex, lastIndex]. */
  public Entry entryAt(long index) {
    return log.entry(index);
  }

  public SnapshotMeta latestSnapshot() {
    return log.snapshot();
  }

  public HardState hardState() {
    return new HardState(term, votedFor, log.committed());
  }

  public SoftState softState() {
    return new SoftState(roleState.role(), leaderId);
  }

  // ---------------------------------------------------------------- shared by the roles

  int electionTimeout() {
    return config.electionTimeoutTicks();
  }

  boolean electionTimedOut() {
    return electionElapsedTicks >= randomizedElectionTimeoutTicks;
  }

  void resetElectionTimer() {
    electionElapsedTicks = 0;
    randomizedElectionTimeoutTicks = electionTimeout() + random.nextInt(electionTimeout());
  }

  void send(Message m) {
    outbox.add(m);
  }

  /** A snapshot from the leader replaced the log; the driver must install it. */
  void installSnapshot(SnapshotMeta snapshot) {
    snapshotToInstall = snapshot;
  }

  void addReadState(ReadState rs) {
    readStates.add(rs);
  }

  void setLeader(long leader) {
    leaderId = leader;
  }

  /** The peers this node replicates to or asks for votes: every member but itself. */
  List<Long> peers() {
    List<Long> out = new ArrayList<>();
    for (long m : cluster().members()) {
      if (m != id) {
        out.add(m);
      }
    }
    return out;
  }

  /** Starts an election, with a pre-vote round first when enabled. */
  void campaign(Campaign reason) {
    if (!cluster().isVoter(id)) {
      return; // learners and removed nodes never campaign
    }
    if (config.preVote()) {
      preVotesStarted++;
      transition(new PreCandidate(this, reason));
    } else {
      becomeCandidate(reason);
    }
  }

  /**
   * A follower that has not heard from its leader for two heartbeat intervals: it believes a
   * candidate that says the leader's process is gone. A leader never does.
   */
  private boolean leaderSilent() {
    return leaderId != id && electionElapsedTicks >= 2 * config.heartbeatIntervalTicks();
  }

  void becomeFollower(long newTerm, long leader) {
    if (newTerm < term) {
      throw new IllegalStateException("term would go back from " + term + " to " + newTerm);
    }
    if (newTerm > term) {
      term = newTerm;
      votedFor = NONE;
    }
    leaderId = leader;
    transition(new Follower(this));
  }

  /**
   * Starts a real election. A {@link Campaign#TRANSFER} election (the leader asked us to take over)
   * skips pre-vote and asks voters to set aside their leader stickiness.
   */
  void becomeCandidate(Campaign reason) {
    electionsStarted++;
    term++;
    votedFor = id;
    leaderId = NONE;
    transition(new Candidate(this, reason));
  }

  /** The leader told us to campaign now to take over from it. */
  void timeoutNow(TimeoutNow m) {
    if (cluster().isVoter(id)) {
      becomeCandidate(Campaign.TRANSFER);
    }
  }

  void becomeLeader() {
    electionsWon++;
    leaderId = id;
    transition(new Leader(this));
  }

  private void transition(RoleState next) {
    Role from = roleState.role();
    if (!LEGAL_TRANSITIONS.get(from).contains(next.role())) {
      throw new IllegalStateException(
          "illegal transition " + from + " -> " + next.role() + " on node " + id);
    }
    roleState = next;
    resetElectionTimer();
    next.start();
  }

  /** The vote rule (paper 5.2, 5.4.1): one vote per term, only for an up-to-date log. */
  private void handleVoteRequest(RequestVote rv) {
    if (rv.preVote() && roleState instanceof PreCandidate competing && !competing.yieldsTo(rv)) {
      send(new VoteResponse(id, rv.from(), term, false, true));
      competing.askAgain(rv.from());
      return;
    }
    boolean canVote =
        votedFor == rv.from()
            || (votedFor == NONE && leaderId == NONE)
            || (rv.preVote() && rv.term() > term);
    if (canVote && log.isUpToDate(rv.lastLogIndex(), rv.lastLogTerm())) {
      // A granted pre-vote answers in the requested term so the candidate can count it.
      send(new VoteResponse(id, rv.from(), rv.term(), true, rv.preVote()));
      if (!rv.preVote()) {
        electionElapsedTicks = 0;
        votedFor = rv.from();
      }
    } else {
      send(new VoteResponse(id, rv.from(), term, false, rv.preVote()));
    }
  }

  void checkNoReadyOutstanding() {
    if (readyOutstanding) {
      throw new IllegalStateException("the last Ready has not been advanced");
    }
  }

  @Override
  public String toString() {
    return "RaftNode[id="
        + id
        + " term="
        + term
        + " role="
        + role()
        + " leader="
        + leaderId
        + " last="
        + log.lastIndex()
        + " commit="
        + log.committed()
        + (roleState instanceof Leader ? " " + roleState : "")
        + "]";
  }
}
