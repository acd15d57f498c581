package dev.ballot.sim;

import dev.ballot.cluster.ClientStatus;
import dev.ballot.cluster.RouteFailure;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.node.NodeException;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest.Kind;
import dev.ballot.proto.raft.v1.RegisterRequest;
import dev.ballot.proto.raft.v1.RegisterResponse;
import dev.ballot.raft.RaftNode;
import dev.ballot.transport.Failures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Membership changes in a simulated run, made through the server's membership layer. An operator
 * asks a random running node (not only the leader) to promote a learner, remove a member (the
 * leader too) or move leadership to a voter, through its {@code MembershipRequests}: the node's
 * leader route carries it out on the leader, forwarding over the simulated network. A joining node
 * registers as the server's joiner does: it sends {@code Register} to a random member, follows a
 * follower's redirect to the leader, retries with the same temporary id until a leader answers, and
 * starts with the id and members the answer gives. A removed node stops itself some time after its
 * removal commits: sometimes at once, sometimes seconds later, so that it tries to disrupt.
 */
final class SimMembership {
  /** What the membership layer needs from the run. */
  interface Cluster {
    /** The leader of the highest term among running nodes, or null. */
    SimServer leader();

    /** Node {@code id}, or null if it never started. */
    SimServer node(long id);

    List<SimServer> nodes();

    /** The link a joining node's host calls members over. */
    SimLeaderLink joinerLink();

    void startJoiner(Identity identity);

    void stopForGood(SimServer node);

    void after(long delayMs, Runnable action);
  }

  /** Members (voters and learners) a change may grow the cluster to. */
  private static final int MAX_MEMBERS = 7;

  /** Fewer voters than this and no voter is removed: two voters must stay. */
  private static final int MIN_VOTERS_TO_REMOVE_ONE = 3;

  /** What an operator's membership command waits at most (the route caps it further). */
  private static final long REQUEST_TIMEOUT_MS = 5_000;

  /** What a joiner waits for one Register answer, and the redirects it follows per try. */
  private static final long REGISTER_TIMEOUT_MS = 1_000;

  private static final int MAX_REDIRECTS = 3;

  /** Temporary ids of joiners start here (bootstrap nodes have theirs below it). */
  static final long FIRST_JOINER_TEMP_ID = 1_000_000;

  private final Random random;
  private final Cluster cluster;
  private final int maxJoiners;
  private final long maxNodeId;
  private int joinersBegun;

  /** The newest committed configuration acted upon (removed nodes stopped). */
  private long actedOnConfigIndex;

  /** The highest node id a committed configuration gave out. */
  private long committedMaxNodeId;

  /** Every node id a committed configuration listed, and those a later one removed. */
  private final TreeSet<Long> everMember = new TreeSet<>();

  private final TreeSet<Long> removed = new TreeSet<>();

  /** Nodes that led when an operator asked to remove them, and the last transfer's target. */
  private final TreeSet<Long> leadersLeaving = new TreeSet<>();

  private long transferTarget = RaftNode.NONE;

  /** False once the faults heal: the run then only has to recover. */
  private boolean changing = true;

  long changesCommitted;
  long joinersStarted;
  long leadersRemoved;
  long transfersCompleted;

  /** Operations acknowledged by a node that did not lead when asked: forwarded to the leader. */
  long forwardedChangesAcked;

  /**
   * @param bootstrap the members the run starts with
   * @param maxJoiners how many nodes may try to join
   * @param maxNodeId the highest node id the run has room for; ids a joiner gets beyond it fail
   */
  SimMembership(
      Random random, Cluster cluster, Membership bootstrap, int maxJoiners, long maxNodeId) {
    this.random = random;
    this.cluster = cluster;
    this.maxJoiners = maxJoiners;
    this.maxNodeId = maxNodeId;
    this.committedMaxNodeId = bootstrap.maxNodeId();
    bootstrap.members().forEach(m -> everMember.add(m.id()));
  }

  /** Asks a random running node for one random change; it may be refused or come to nothing. */
  void changeRandomly() {
    List<SimServer> up = new ArrayList<>();
    for (SimServer n : cluster.nodes()) {
      if (n.isUp()) {
        up.add(n);
      }
    }
    if (!up.isEmpty()) {
      changeOn(up.get(random.nextInt(up.size())));
    }
  }

  /**
   * Asks {@code node} for a random change, sometimes two in a row: an operator in a hurry, or
   * requests queued during an election that a new leader takes up at once. The leader makes one
   * change at a time; the second waits for the first, or is refused.
   */
  private void changeOn(SimServer node) {
    if (!changing || !node.isUp()) {
      return;
    }
    ask(node);
    if (random.nextInt(4) == 0) {
      ask(node);
    }
  }

  /**
   * One operation, its targets taken from the members {@code node} knows, as etcdctl lists them.
   */
  private void ask(SimServer node) {
    Membership known = node.members();
    List<Long> voters = known.config().voters();
    List<Long> learners = known.config().learners();
    List<Long> removable = new ArrayList<>(learners);
    if (voters.size() >= MIN_VOTERS_TO_REMOVE_ONE) {
      removable.addAll(voters);
    }
    boolean canAdd =
        joinersBegun < maxJoiners
            && committedMaxNodeId < maxNodeId - maxJoiners
            && known.members().size() < MAX_MEMBERS;
    int roll = random.nextInt(100);
    if (roll < 15 && !voters.isEmpty()) {
      transferTarget = pick(voters);
      execute(node, Kind.TRANSFER_LEADERSHIP, transferTarget);
    } else if (roll < 45 && canAdd) {
      long tempId = FIRST_JOINER_TEMP_ID + joinersBegun++;
      register(new Joiner(tempId, "sim-joiner-" + tempId + ":2380"));
    } else if (roll < 70 && !learners.isEmpty()) {
      execute(node, Kind.PROMOTE, pick(learners));
    } else if (!removable.isEmpty()) {
      // The leader often enough, when it may go: that path has the most to get wrong.
      SimServer leader = cluster.leader();
      boolean leaderGoes =
          leader != null && removable.contains(leader.id) && random.nextInt(3) == 0;
      long id = leaderGoes ? leader.id : pick(removable);
      if (leader != null && id == leader.id) {
        leadersLeaving.add(id);
      }
      execute(node, Kind.REMOVE, id);
    }
  }

  private long pick(List<Long> ids) {
    return ids.get(random.nextInt(ids.size()));
  }

  private void execute(SimServer node, Kind kind, long id) {
    boolean leading = node.core.role() == dev.ballot.raft.Role.LEADER;
    node.membershipRequests()
        .execute(kind, id, REQUEST_TIMEOUT_MS)
        .whenComplete(
            (members, error) -> {
              if (error == null) {
                checkAnswer(kind, id, members);
                forwardedChangesAcked += leading ? 0 : 1;
              } else {
                checkFailure(kind + " " + id, error);
              }
            });
  }

  /** What an acknowledged operation answers must be what it did. */
  private void checkAnswer(Kind kind, long id, Membership members) {
    boolean right =
        switch (kind) {
          case REMOVE -> !members.contains(id);
          case PROMOTE -> members.member(id).map(m -> !m.learner()).orElse(false);
          default -> true;
        };
    if (!right) {
      fail(kind + " " + id + " was acknowledged with members " + members);
    }
  }

  /**
   * A failed operation must fail the way a client is told: a route failure, a node's leadership
   * refusal, or etcd's status. Anything else is a bug in the membership layer.
   */
  private void checkFailure(String what, Throwable error) {
    Throwable cause = Failures.cause(error);
    if (!(cause instanceof RouteFailure
        || cause instanceof NodeException
        || cause instanceof StatusRuntimeException)) {
      fail(what + " failed with " + cause);
    }
  }

  /**
   * Fails the run from an event of its own: thrown inside a future's callback, it would be lost.
   */
  private void fail(String why) {
    cluster.after(
        0,
        () -> {
          throw new AssertionError(why);
        });
  }

  // ---------------------------------------------------------------- joiners

  /** A node that is registering: its temporary id and the peer address it will listen on. */
  private record Joiner(long tempId, String peerAddr) {}

  /** What a member answered a joiner: its response, or etcd's status. */
  private record Answer(RegisterResponse response, StatusRuntimeException refusal) {}

  /** One try: Register with a random member that runs, then with the leader it names. */
  private void register(Joiner joiner) {
    List<SimServer> members = new ArrayList<>();
    for (SimServer n : cluster.nodes()) {
      if (!n.isStopped()) {
        members.add(n);
      }
    }
    if (members.isEmpty()) {
      retryLater(joiner);
    } else {
      register(joiner, members.get(random.nextInt(members.size())).id, 0);
    }
  }

  private void register(Joiner joiner, long toId, int redirects) {
    RegisterRequest request =
        RegisterRequest.newBuilder()
            .setTempId(joiner.tempId())
            .setPeerAddr(joiner.peerAddr())
            .setClientAddr(joiner.peerAddr().replace(":2380", ":2379"))
            .build();
    CompletableFuture<Answer> call =
        cluster
            .joinerLink()
            .call(
                toId,
                at ->
                    at.membershipChanges()
                        .register(request, REGISTER_TIMEOUT_MS)
                        .handle(
                            (response, error) ->
                                error == null
                                    ? new Answer(response, null)
                                    : new Answer(null, ClientStatus.of(error))));
    cluster.after(
        REGISTER_TIMEOUT_MS,
        () -> call.completeExceptionally(RouteFailure.outcomeUnknown("no answer in time")));
    call.whenComplete(
        (answer, error) -> {
          if (error != null) {
            retryLater(joiner); // refused, lost or late: ask again with the same temporary id
          } else if (answer.refusal() != null) {
            Status status = answer.refusal().getStatus();
            if (status.getCode() == Status.Code.INVALID_ARGUMENT
                || String.valueOf(status.getDescription()).contains("Peer URLs already exists")) {
              fail("the cluster refused joiner " + joiner + ": " + status);
            } else {
              retryLater(joiner);
            }
          } else if (!answer.response().getLeaderPeerAddr().isEmpty()) {
            SimServer leader = nodeAt(answer.response().getLeaderPeerAddr());
            if (leader != null && redirects < MAX_REDIRECTS) {
              register(joiner, leader.id, redirects + 1);
            } else {
              retryLater(joiner);
            }
          } else {
            registered(joiner, answer.response());
          }
        });
  }

  private void retryLater(Joiner joiner) {
    cluster.after(100 + random.nextInt(200), () -> register(joiner));
  }

  private SimServer nodeAt(String peerAddr) {
    for (SimServer n : cluster.nodes()) {
      if (n.peerAddr().equals(peerAddr)) {
        return n;
      }
    }
    return null;
  }

  /**
   * The leader added the joiner: it starts with that identity, unless its removal already committed
   * (it would learn so at once, and stop).
   */
  private void registered(Joiner joiner, RegisterResponse response) {
    Membership members = Membership.fromProto(response.getMembership());
    long id = response.getNodeId();
    Membership.Member self = members.member(id).orElse(null);
    // A retried Register may find its learner promoted already: it joins as a voter then.
    if (self == null
        || self.tempId() != joiner.tempId()
        || !self.peerAddr().equals(joiner.peerAddr())
        || response.getClusterId() != SimServer.CLUSTER_ID) {
      fail("joiner " + joiner + " registered as node " + id + " of " + members);
      return;
    }
    if (id > maxNodeId) {
      fail("joiner got node id " + id + ", beyond the run's room for " + maxNodeId);
      return;
    }
    Identity identity = new Identity(id, response.getClusterId(), joiner.tempId(), members, false);
    cluster.after(
        1 + random.nextInt(30),
        () -> {
          if (!removed.contains(id) && cluster.node(id) == null) {
            cluster.startJoiner(identity);
            joinersStarted++;
          }
        });
  }

  // ---------------------------------------------------------------- commits

  /**
   * A node applied the configuration entry at {@code index}: it is committed. Schedules the stop of
   * the nodes it removed (once per configuration, newest first wins); a joiner removed before it
   * started never starts.
   */
  void committed(long index, Membership members) {
    if (index <= actedOnConfigIndex) {
      return;
    }
    actedOnConfigIndex = index;
    changesCommitted++;
    committedMaxNodeId = Math.max(committedMaxNodeId, members.maxNodeId());
    members.members().forEach(m -> everMember.add(m.id()));
    for (long id : everMember) {
      if (!members.contains(id) && removed.add(id)) {
        leadersRemoved += leadersLeaving.contains(id) ? 1 : 0;
        long delayMs = random.nextInt(10) < 3 ? random.nextInt(20) : 200 + random.nextInt(2_800);
        cluster.after(delayMs, () -> stop(id));
      }
    }
  }

  private void stop(long id) {
    SimServer n = cluster.node(id);
    if (n != null) {
      cluster.stopForGood(n);
    }
  }

  /** No more changes; the ones under way complete (joiners start, removed nodes stop). */
  void stopChanging() {
    changing = false;
  }

  /** A node won an election: was it the target of the last transfer? Then maybe rush a change. */
  void becameLeader(SimServer node) {
    if (node.id == transferTarget) {
      transfersCompleted++;
      transferTarget = RaftNode.NONE;
    }
    if (random.nextInt(3) == 0) {
      cluster.after(random.nextInt(5), () -> changeOn(node));
    }
  }
}
