package dev.ballot.membership;

import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.RegisterRequest;
import dev.ballot.proto.raft.v1.RegisterResponse;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.transport.PeerDirectory;
import dev.ballot.transport.PeerService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership changes, carried out by the leader one at a time through configuration entries: a
 * joining node registers and becomes a learner, a learner whose log is close to the leader's is
 * promoted, members are removed, and leadership is handed over. Every node keeps the committed
 * member list (with addresses) that the apply thread reports, and tells its transport of members as
 * soon as their configuration entry reaches the log.
 */
public final class MembershipManager implements PeerService.MembershipHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MembershipManager.class);

  /** A learner within this many entries of the leader's last index is promoted. */
  public static final long PROMOTE_LAG_ENTRIES = 100;

  private static final long PROMOTE_CHECK_MS = 200;
  private static final long RETRY_PENDING_MS = 50;
  private static final int RECENT_CONFIGS = 64;

  /** The answer to "remove the leader": it handed over; ask the new leader (named after it). */
  public static final String LEADER_MOVED = "ballot: leader moved to node ";

  private final Identity identity;
  private final RaftDriver<?> driver;
  private final PeerDirectory peers;
  private final long electionTimeoutMs;
  private final Consumer<String> onSelfRemoved;
  private final ExecutorService workers;
  private final ScheduledExecutorService promoter;

  private volatile Membership applied;

  /**
   * The newest configuration appended to the log, and its index; a new leader may still discard it.
   * Guarded by {@code recent}.
   */
  private Membership appended;

  private long appendedIndex;

  /** Recently applied configurations by index, to check that ours is the one that applied. */
  private final Map<Long, Membership> recent =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Membership> eldest) {
          return size() > RECENT_CONFIGS;
        }
      };

  /**
   * @param applied the committed membership the state machine holds now
   * @param onSelfRemoved told once when this node learns that it was removed
   */
  public MembershipManager(
      Identity identity,
      Membership applied,
      RaftDriver<?> driver,
      PeerDirectory peers,
      long electionTimeoutMs,
      Consumer<String> onSelfRemoved) {
    this.identity = identity;
    this.applied = applied;
    this.driver = driver;
    this.peers = peers;
    this.electionTimeoutMs = electionTimeoutMs;
    this.onSelfRemoved = onSelfRemoved;
    this.workers = Executors.newFixedThreadPool(2, daemon("membership-" + identity.nodeId()));
    this.promoter =
        Executors.newSingleThreadScheduledExecutor(daemon("learner-promoter-" + identity.nodeId()));
    peers.removedWhen(id -> this.applied.removed(id));
    applied.peerAddresses(identity.nodeId()).forEach(peers::add);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Starts promoting caught-up learners while this node leads. */
  public void start() {
    if (applied.removed(identity.nodeId())) {
      onSelfRemoved.accept("the committed membership no longer lists node " + identity.nodeId());
    }
    promoter.scheduleWithFixedDelay(
        this::promoteCaughtUpLearner, PROMOTE_CHECK_MS, PROMOTE_CHECK_MS, TimeUnit.MILLISECONDS);
  }

  /** The committed members, as of the last applied configuration. */
  public Membership members() {
    return applied;
  }

  // ------------------------------------------------------------------ listeners

  /** The driver appended a configuration entry: reach its members from now on. */
  public void configAppended(Entry entry) {
    Membership m = Membership.decode(ConfigEntry.decode(entry.data()).context());
    synchronized (recent) {
      if (appended != null) {
        forgetDiscarded(appended, m);
      }
      appended = m;
      appendedIndex = entry.index();
    }
    m.peerAddresses(identity.nodeId()).forEach(peers::set);
  }

  /**
   * Forgets the members only {@code replaced} named: neither {@code replacement} nor the applied
   * membership holds them, so they came from an entry a new leader discarded (a registration that
   * never committed), and a later registration may be given their id with another address.
   */
  private void forgetDiscarded(Membership replaced, Membership replacement) {
    for (long id : replaced.peerAddresses(identity.nodeId()).keySet()) {
      if (!replacement.contains(id) && !applied.contains(id)) {
        peers.forget(id);
      }
    }
  }

  /** The apply thread applied a configuration (entry or snapshot). */
  public void configApplied(long index, byte[] configEntry) {
    Membership next = Membership.decode(ConfigEntry.decode(configEntry).context());
    Membership before = applied;
    applied = next;
    Membership pending;
    synchronized (recent) {
      recent.put(index, next);
      pending = appendedIndex > index ? appended : null;
      if (appended != null && appendedIndex <= index && !appended.equals(next)) {
        // The entry appended last was discarded, and this one (or a snapshot) took its place.
        forgetDiscarded(appended, next);
      }
    }
    next.peerAddresses(identity.nodeId()).forEach(pending == null ? peers::set : peers::add);
    // Only a removal forgets a peer: a node replaying old entries (a joiner catching up) applies
    // configurations older than members it already talks to.
    peers.forgetRemoved();
    if (!before.equals(next)) {
      log.info("membership applied index={} members={}", index, next);
    }
    if (next.removed(identity.nodeId())) {
      onSelfRemoved.accept(
          "the configuration committed at index " + index + " removes node " + identity.nodeId());
    }
  }

  // ------------------------------------------------------------------ peer handlers (leader)

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    workers.execute(() -> answer(response, () -> registerOnLeader(request)));
  }

  @Override
  public void change(
      ChangeMembershipRequest request, StreamObserver<ChangeMembershipResponse> response) {
    workers.execute(
        () ->
            answer(
                response,
                () ->
                    ChangeMembershipResponse.newBuilder()
                        .setMembership(
                            changeOnLeader(request.getKind(), request.getNodeId()).toProto())
                        .build()));
  }

  /** Where member {@code id}'s peer port is, or null if it is not a known peer. */
  public String peerAddress(long id) {
    return peers.address(id);
  }

  /**
   * Carries out a membership operation asked of this node by a client: here if this node leads,
   * otherwise on the leader over the peer port. Retries across leader changes (and a leader that
   * hands over before its own removal) until a few election timeouts have passed. Completes with
   * the members afterwards, or exceptionally with the etcd status to answer.
   */
  public CompletableFuture<Membership> execute(ChangeMembershipRequest.Kind kind, long nodeId) {
    return CompletableFuture.supplyAsync(() -> executeWithRetries(kind, nodeId), workers);
  }

  private Membership executeWithRetries(ChangeMembershipRequest.Kind kind, long nodeId) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(8 * electionTimeoutMs);
    StatusRuntimeException last = EtcdStatus.NO_LEADER;
    while (System.nanoTime() < deadline) {
      var status = driver.status();
      try {
        if (status.role() == Role.LEADER) {
          return changeOnLeader(kind, nodeId);
        }
        String leader =
            status.leaderId() == RaftNode.NONE ? null : peers.address(status.leaderId());
        if (leader != null) {
          return forward(leader, kind, nodeId);
        }
      } catch (StatusRuntimeException e) {
        if (!retryable(e)) {
          throw e;
        }
        last = e;
      }
      sleep(100);
    }
    throw last;
  }

  private static boolean retryable(StatusRuntimeException e) {
    String why = String.valueOf(e.getStatus().getDescription());
    return (e.getStatus().getCode() == Status.Code.UNAVAILABLE
            && (why.startsWith(LEADER_MOVED)
                || why.equals("etcdserver: no leader")
                || why.equals("etcdserver: leader changed")
                || why.startsWith("io exception")
                || why.contains("still starting")))
        || (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
            && why.equals("etcdserver: not leader"));
  }

  private Membership forward(String leader, ChangeMembershipRequest.Kind kind, long nodeId) {
    io.grpc.ManagedChannel channel =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(leader)
            .usePlaintext()
            .build();
    try {
      return Membership.fromProto(
          dev.ballot.proto.raft.v1.RaftPeerGrpc.newBlockingStub(channel)
              .withDeadlineAfter(6 * electionTimeoutMs, TimeUnit.MILLISECONDS)
              .changeMembership(
                  ChangeMembershipRequest.newBuilder()
                      .setClusterId(identity.clusterId())
                      .setKind(kind)
                      .setNodeId(nodeId)
                      .build())
              .getMembership());
    } finally {
      channel.shutdownNow();
    }
  }

  private interface Answer<T> {
    T get() throws StatusRuntimeException;
  }

  private static <T> void answer(StreamObserver<T> response, Answer<T> answer) {
    T value;
    try {
      value = answer.get();
    } catch (StatusRuntimeException e) {
      response.onError(e);
      return;
    } catch (RuntimeException e) {
      log.error("membership operation failed", e);
      response.onError(
          Status.INTERNAL.withDescription("etcdserver: " + e.getMessage()).asRuntimeException());
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }

  private RegisterResponse registerOnLeader(RegisterRequest request) {
    if (driver.status().role() != Role.LEADER) {
      long leader = driver.status().leaderId();
      String address = leader == identity.nodeId() ? null : peers.address(leader);
      if (address == null) {
        throw EtcdStatus.NO_LEADER;
      }
      return RegisterResponse.newBuilder().setLeaderPeerAddr(address).build();
    }
    if (request.getTempId() == 0 || request.getPeerAddr().isEmpty()) {
      throw Status.INVALID_ARGUMENT
          .withDescription("register needs a temp id and a peer address")
          .asRuntimeException();
    }
    Membership result =
        changeLocally(
            m -> {
              if (m.byTempId(request.getTempId()).isPresent()) {
                return m; // a retried Register: it already has its id
              }
              for (Membership.Member member : m.members()) {
                if (member.peerAddr().equals(request.getPeerAddr())) {
                  throw Status.FAILED_PRECONDITION
                      .withDescription(
                          "etcdserver: Peer URLs already exists (member "
                              + member.id()
                              + " listens on "
                              + member.peerAddr()
                              + "; remove it first)")
                      .asRuntimeException();
                }
              }
              return m.withLearner(
                  request.getPeerAddr(), request.getClientAddr(), request.getTempId());
            });
    Membership.Member joined = result.byTempId(request.getTempId()).orElseThrow();
    log.info("registered node={} peerAddr={} as a learner", joined.id(), joined.peerAddr());
    return RegisterResponse.newBuilder()
        .setNodeId(joined.id())
        .setClusterId(identity.clusterId())
        .setMembership(result.toProto())
        .build();
  }

  private Membership changeOnLeader(ChangeMembershipRequest.Kind kind, long id) {
    switch (kind) {
      case REMOVE -> {
        if (id == identity.nodeId() && applied.contains(id)) {
          // The leader hands over first (to the most up-to-date voter); the caller then asks
          // the new leader, which removes this node like any other.
          long target = mostUpToDateOtherVoter();
          if (target == RaftNode.NONE) {
            throw Status.FAILED_PRECONDITION
                .withDescription("etcdserver: cannot remove the only voter")
                .asRuntimeException();
          }
          transferLeadership(target);
          throw unavailable(LEADER_MOVED + target);
        }
        return changeLocally(
            m -> {
              if (!m.contains(id)) {
                throw Status.NOT_FOUND
                    .withDescription("etcdserver: member not found")
                    .asRuntimeException();
              }
              return m.without(id);
            });
      }
      case PROMOTE -> {
        return promote(id);
      }
      case TRANSFER_LEADERSHIP -> {
        transferLeadership(id);
        return applied;
      }
      default ->
          throw Status.INVALID_ARGUMENT
              .withDescription("unknown membership change " + kind)
              .asRuntimeException();
    }
  }

  private long mostUpToDateOtherVoter() {
    return call(
        node -> {
          long best = RaftNode.NONE;
          long bestMatch = -1;
          for (long voter : node.cluster().voters()) {
            if (voter != identity.nodeId() && node.matchIndex(voter) > bestMatch) {
              best = voter;
              bestMatch = node.matchIndex(voter);
            }
          }
          return best;
        });
  }

  private Membership promote(long id) {
    boolean caughtUp = call(node -> node.matchIndex(id) >= node.lastIndex() - PROMOTE_LAG_ENTRIES);
    return changeLocally(
        m -> {
          Membership.Member member =
              m.member(id)
                  .orElseThrow(
                      () ->
                          Status.NOT_FOUND
                              .withDescription("etcdserver: member not found")
                              .asRuntimeException());
          if (!member.learner()) {
            throw Status.FAILED_PRECONDITION
                .withDescription("etcdserver: can only promote a learner member")
                .asRuntimeException();
          }
          if (!caughtUp) {
            throw Status.FAILED_PRECONDITION
                .withDescription(
                    "etcdserver: can only promote a learner member which is in sync with leader")
                .asRuntimeException();
          }
          return m.promoted(id);
        });
  }

  /** Leader only: hands leadership to {@code target} and waits until it leads. */
  private void transferLeadership(long target) {
    if (driver.status().leaderId() == target) {
      return; // already there
    }
    if (!applied.contains(target) || applied.member(target).orElseThrow().learner()) {
      throw Status.FAILED_PRECONDITION
          .withDescription("etcdserver: bad leader transferee")
          .asRuntimeException();
    }
    long term =
        call(
            node -> {
              try {
                node.transferLeadership(target);
              } catch (ProposalRejectedException e) {
                throw RaftDriver.refusal(e);
              }
              return node.term();
            });
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * electionTimeoutMs);
    while (System.nanoTime() < deadline) {
      var status = driver.status();
      if (status.leaderId() == target && status.term() > term) {
        log.info("leadership transferred to node={} term={}", target, status.term());
        return;
      }
      sleep(10);
    }
    throw unavailable("etcdserver: request timed out, leader transfer took too long");
  }

  /**
   * Proposes the membership {@code change} makes of the committed one and waits until it is
   * applied. The change runs on the driver thread against a membership no change is pending on.
   */
  private Membership changeLocally(UnaryOperator<Membership> change) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5 * electionTimeoutMs);
    while (true) {
      Proposed proposed =
          call(
              node -> {
                if (node.role() != Role.LEADER) {
                  throw EtcdStatus.NOT_LEADER;
                }
                if (node.configIndex() > driver.appliedIndex()) {
                  return null; // a change is on its way: wait for it
                }
                Membership current = applied;
                Membership next = change.apply(current);
                if (next.equals(current)) {
                  return new Proposed(0, next);
                }
                if (!node.hasActiveQuorum(next.config())) {
                  // It could never commit, and it would take the cluster's quorum with it.
                  log.warn("membership change refused: no live majority after it members={}", next);
                  throw EtcdStatus.UNHEALTHY;
                }
                try {
                  return new Proposed(node.proposeConfig(next.config(), next.encode()), next);
                } catch (ProposalRejectedException e) {
                  if (e.reason() == ProposalRejectedException.Reason.CONFIG_CHANGE_PENDING) {
                    return null;
                  }
                  throw RaftDriver.refusal(e);
                }
              });
      if (proposed != null) {
        if (proposed.index() == 0) {
          return proposed.membership();
        }
        await(driver.whenApplied(proposed.index()), deadline);
        Membership appliedThere;
        synchronized (recent) {
          appliedThere = recent.get(proposed.index());
        }
        if (!proposed.membership().equals(appliedThere)) {
          throw EtcdStatus.LEADER_CHANGED;
        }
        return proposed.membership();
      }
      if (System.nanoTime() > deadline) {
        throw unavailable("etcdserver: request timed out (a membership change is still pending)");
      }
      sleep(RETRY_PENDING_MS);
    }
  }

  private record Proposed(long index, Membership membership) {}

  private void promoteCaughtUpLearner() {
    try {
      if (driver.status().role() != Role.LEADER) {
        return;
      }
      Long learner =
          call(
              node -> {
                ClusterConfig config = node.cluster();
                if (node.configIndex() > node.commitIndex()) {
                  return 0L;
                }
                for (long id : config.learners()) {
                  if (node.matchIndex(id) >= node.lastIndex() - PROMOTE_LAG_ENTRIES) {
                    return id;
                  }
                }
                return 0L;
              });
      if (learner != 0) {
        promote(learner);
        log.info("promoted learner node={} to voter", learner);
      }
    } catch (StatusRuntimeException e) {
      log.debug("learner promotion deferred: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("learner promotion failed", e);
    }
  }

  private <T> T call(java.util.function.Function<RaftNode, T> op) {
    return await(driver.call(op), System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
  }

  private static <T> T await(CompletableFuture<T> f, long deadlineNanos) {
    try {
      return f.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof NodeException n) {
        throw EtcdStatus.of(n);
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw EtcdStatus.TIMEOUT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EtcdStatus.STOPPED;
    }
  }

  private static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EtcdStatus.STOPPED;
    }
  }

  @Override
  public void close() {
    promoter.shutdownNow();
    workers.shutdownNow();
  }
}
