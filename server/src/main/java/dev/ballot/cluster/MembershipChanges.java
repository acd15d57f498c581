package dev.ballot.cluster;

import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Membership;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeException;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.RegisterRequest;
import dev.ballot.proto.raft.v1.RegisterResponse;
import dev.ballot.raft.ProposalRejectedException;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.transport.Failures;
import dev.ballot.transport.PeerService;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader side of membership changes, one at a time through configuration entries: a joining
 * node registers as a learner, a learner is promoted, a member is removed, leadership is handed
 * over. Non-blocking: each step runs from a completion or the injected timer, so the simulation can
 * run it. Clients reach it through {@link MembershipRequests}; followers forward to {@link
 * #change(ChangeMembershipRequest, long)}.
 */
public final class MembershipChanges implements PeerService.MembershipHandler {
  private static final Logger log = LoggerFactory.getLogger(MembershipChanges.class);

  /** A learner within this many entries of the leader's last index may be promoted. */
  public static final long PROMOTE_LAG_ENTRIES = 100;

  /** The pause before looking again when another change is still on its way to apply. */
  private static final long RETRY_PENDING_MS = 50;

  private final long selfId;
  private final RaftDriver<?> driver;
  private final AppliedMembership members;
  private final TaskTimer timer;
  private final LeadershipTransfer transfer;
  private final long pendingWaitMs;

  /**
   * @param pendingWaitMs how long a change waits for an earlier one to apply
   */
  /**
   * The server's timings, from the election timeout: a transfer gives up after three, a change
   * waits up to five for the one pending before it.
   */
  public static MembershipChanges forElectionTimeout(
      RaftDriver<?> driver, AppliedMembership members, TaskTimer timer, long electionTimeoutMs) {
    return new MembershipChanges(
        driver,
        members,
        timer,
        new LeadershipTransfer(driver, members, timer, 3 * electionTimeoutMs),
        5 * electionTimeoutMs);
  }

  public MembershipChanges(
      RaftDriver<?> driver,
      AppliedMembership members,
      TaskTimer timer,
      LeadershipTransfer transfer,
      long pendingWaitMs) {
    this.selfId = members.selfId();
    this.driver = driver;
    this.members = members;
    this.timer = timer;
    this.transfer = transfer;
    this.pendingWaitMs = pendingWaitMs;
  }

  /** The leader side of a change a follower forwarded: always completes normally. */
  @Override
  public CompletableFuture<ChangeMembershipResponse> change(
      ChangeMembershipRequest request, long timeoutMs) {
    return Deadlines.within(
            timer, change(request.getKind(), request.getNodeId(), request.getPeerAddr()), timeoutMs)
        .handle(
            (m, error) ->
                error == null
                    ? ChangeMembershipResponse.newBuilder()
                        .setMembership(m.toProto())
                        .setAppliedIndex(driver.appliedIndex())
                        .build()
                    : ChangeMembershipResponse.newBuilder()
                        .setRefusal(ForwardRefusals.toWire(error))
                        .build());
  }

  /**
   * Carries out {@code kind} on member {@code id}; this node should lead. Completes with the
   * members afterwards, or fails with a {@code NodeException} NOT_LEADER / NO_LEADER (nothing done:
   * ask the leader, as when this leader hands over before its own removal) or etcd's refusal.
   */
  public CompletableFuture<Membership> change(ChangeMembershipRequest.Kind kind, long id) {
    return change(kind, id, "");
  }

  /** A change; {@code peerAddr} is the new address for {@code UPDATE_PEER_ADDR}, else unused. */
  public CompletableFuture<Membership> change(
      ChangeMembershipRequest.Kind kind, long id, String peerAddr) {
    return switch (kind) {
      case REMOVE -> remove(id);
      case PROMOTE -> promote(id);
      case UPDATE_PEER_ADDR -> updatePeerAddr(id, peerAddr);
      case TRANSFER_LEADERSHIP -> transfer.transfer(id).thenApply(v -> members.members());
      default ->
          CompletableFuture.failedFuture(
              Status.INVALID_ARGUMENT
                  .withDescription("unknown membership change " + kind)
                  .asRuntimeException());
    };
  }

  private CompletableFuture<Membership> remove(long id) {
    if (id == selfId && members.members().contains(id)) {
      // The leader hands over first (to the most up-to-date voter); the route then asks the new
      // leader, which removes this node like any other.
      return driver
          .call(node -> LeadershipTransfer.mostUpToDateVoter(node, voter -> true))
          .thenCompose(
              target -> {
                if (target == RaftNode.NONE) {
                  return CompletableFuture.failedFuture(
                      Status.FAILED_PRECONDITION
                          .withDescription("etcdserver: cannot remove the only voter")
                          .asRuntimeException());
                }
                return transfer
                    .transfer(target)
                    .thenCompose(
                        v ->
                            CompletableFuture.failedFuture(
                                new NodeException(
                                    NodeException.Kind.NOT_LEADER,
                                    target,
                                    "leader moved to node " + target)));
              });
    }
    return propose(
        m -> {
          if (!m.contains(id)) {
            throw Status.NOT_FOUND
                .withDescription("etcdserver: member not found")
                .asRuntimeException();
          }
          return m.without(id);
        });
  }

  /**
   * Moves member {@code id}'s peer port to {@code peerAddr} (etcd's MemberUpdate): a configuration
   * entry with the same voters and learners and the new address, which every member applies to its
   * peer directory. The address must be valid and no other member's.
   */
  private CompletableFuture<Membership> updatePeerAddr(long id, String peerAddr) {
    if (peerAddr.isEmpty()) {
      return CompletableFuture.failedFuture(
          Status.INVALID_ARGUMENT
              .withDescription("etcdserver: given member URLs are invalid")
              .asRuntimeException());
    }
    return propose(
        m -> {
          if (!m.contains(id)) {
            throw Status.NOT_FOUND
                .withDescription("etcdserver: member not found")
                .asRuntimeException();
          }
          for (Membership.Member member : m.members()) {
            if (member.id() != id && member.peerAddr().equals(peerAddr)) {
              throw Status.FAILED_PRECONDITION
                  .withDescription("etcdserver: Peer URLs already exists")
                  .asRuntimeException();
            }
          }
          return m.withPeerAddr(id, peerAddr);
        });
  }

  /**
   * Whether learner {@code id} may become a voter: the leader has heard it acknowledge entries
   * (never a learner it has not reached yet, however short the log) and it is at most {@link
   * #PROMOTE_LAG_ENTRIES} behind the leader's log. Runs on the driver's thread.
   */
  static boolean inSync(RaftNode node, long id) {
    long match = node.matchIndex(id);
    return match > 0 && match >= node.lastIndex() - PROMOTE_LAG_ENTRIES;
  }

  /** Promotes learner {@code id} if it is {@link #inSync}. */
  public CompletableFuture<Membership> promote(long id) {
    return driver
        .call(node -> inSync(node, id))
        .thenCompose(
            caughtUp ->
                propose(
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
                                "etcdserver: can only promote a learner member which is in sync"
                                    + " with leader")
                            .asRuntimeException();
                      }
                      return m.promoted(id);
                    }));
  }

  /**
   * A joining node's registration. On a follower the answer names the leader's peer address (the
   * joiner asks there); on the leader the node is added as a learner once the entry applies.
   */
  @Override
  public CompletableFuture<RegisterResponse> register(RegisterRequest request, long timeoutMs) {
    var status = driver.status();
    if (status.role() != Role.LEADER) {
      String address = status.leaderId() == selfId ? null : members.peerAddress(status.leaderId());
      if (address == null) {
        return CompletableFuture.failedFuture(EtcdStatus.NO_LEADER);
      }
      return CompletableFuture.completedFuture(
          RegisterResponse.newBuilder().setLeaderPeerAddr(address).build());
    }
    if (request.getTempId() == 0 || request.getPeerAddr().isEmpty()) {
      return CompletableFuture.failedFuture(
          Status.INVALID_ARGUMENT
              .withDescription("register needs a temp id and a peer address")
              .asRuntimeException());
    }
    CompletableFuture<Membership> added =
        propose(
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
              if (!Membership.isValidName(request.getName())) {
                throw Status.INVALID_ARGUMENT
                    .withDescription("etcdserver: bad member name " + request.getName())
                    .asRuntimeException();
              }
              return m.withLearner(
                  request.getPeerAddr(),
                  request.getClientAddr(),
                  request.getTempId(),
                  request.getName());
            });
    return Deadlines.within(timer, added, timeoutMs)
        .exceptionallyCompose(error -> CompletableFuture.failedFuture(ClientStatus.of(error)))
        .thenApply(
            result -> {
              Membership.Member joined = result.byTempId(request.getTempId()).orElseThrow();
              log.info(
                  "registered node={} peerAddr={} as a learner", joined.id(), joined.peerAddr());
              return RegisterResponse.newBuilder()
                  .setNodeId(joined.id())
                  .setClusterId(members.clusterId())
                  .setMembership(result.toProto())
                  .build();
            });
  }

  /**
   * Proposes the membership {@code change} makes of the committed one and completes once it is
   * applied. The change runs on the driver thread against a membership no change is pending on;
   * while one is, it looks again after a pause, up to {@code pendingWaitMs}.
   */
  private CompletableFuture<Membership> propose(UnaryOperator<Membership> change) {
    CompletableFuture<Membership> done = new CompletableFuture<>();
    tryPropose(change, timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(pendingWaitMs), done);
    return done;
  }

  private void tryPropose(
      UnaryOperator<Membership> change, long giveUpNanos, CompletableFuture<Membership> done) {
    if (done.isDone()) {
      return; // the caller gave up
    }
    driver
        .call(node -> proposeOnDriver(node, change))
        .thenCompose(
            proposed -> {
              if (proposed == null) {
                if (timer.nowNanos() - giveUpNanos > 0) {
                  return CompletableFuture.failedFuture(
                      Status.UNAVAILABLE
                          .withDescription(
                              "etcdserver: request timed out (a membership change is still"
                                  + " pending)")
                          .asRuntimeException());
                }
                timer.schedule(() -> tryPropose(change, giveUpNanos, done), RETRY_PENDING_MS);
                return new CompletableFuture<Membership>(); // done is completed by the retry
              }
              if (proposed.index() == 0) {
                return CompletableFuture.completedFuture(proposed.membership());
              }
              return driver
                  .whenApplied(proposed.index())
                  .thenApply(
                      applied -> {
                        if (!proposed.membership().equals(members.appliedAt(proposed.index()))) {
                          // Another entry took its index: ours never applies. Ask the leader.
                          throw new NodeException(
                              NodeException.Kind.NOT_LEADER,
                              driver.status().leaderId(),
                              "a new leader replaced the membership change");
                        }
                        return proposed.membership();
                      });
            })
        .whenComplete(
            (m, error) -> {
              if (error != null) {
                done.completeExceptionally(Failures.cause(error));
              } else {
                done.complete(m);
              }
            });
  }

  /** On the driver thread: proposes the change, or null if another change is still pending. */
  private Proposed proposeOnDriver(RaftNode node, UnaryOperator<Membership> change) {
    if (node.role() != Role.LEADER) {
      throw node.leaderId() == RaftNode.NONE
          ? new NodeException(NodeException.Kind.NO_LEADER, 0, "no leader")
          : new NodeException(NodeException.Kind.NOT_LEADER, node.leaderId(), "not leader");
    }
    if (node.configIndex() > driver.appliedIndex()) {
      return null; // a change is on its way: wait for it
    }
    Membership current = members.members();
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
  }

  private record Proposed(long index, Membership membership) {}
}
