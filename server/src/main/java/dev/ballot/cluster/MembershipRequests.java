package dev.ballot.cluster;

import dev.ballot.membership.Membership;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client's membership operation (remove, promote, update, move leader), asked of any member:
 * carried out by {@link MembershipChanges} on the leader through the {@link LeaderRouter}, like a
 * write.
 */
public final class MembershipRequests {
  private final LeaderRouter router;
  private final MembershipChanges changes;
  private final LeaderLink link;
  private final long clusterId;
  private final RaftDriver<?> driver;
  private final TaskTimer timer;
  private final long maxTimeoutMs;

  /** The server's timing: an operation takes at most eight election timeouts. */
  public static MembershipRequests forElectionTimeout(
      LeaderRouter router,
      MembershipChanges changes,
      LeaderLink link,
      long clusterId,
      RaftDriver<?> driver,
      TaskTimer timer,
      long electionTimeoutMs) {
    return new MembershipRequests(
        router, changes, link, clusterId, driver, timer, 8 * electionTimeoutMs);
  }

  /**
   * @param maxTimeoutMs the longest an operation may take, whatever the client's deadline
   */
  public MembershipRequests(
      LeaderRouter router,
      MembershipChanges changes,
      LeaderLink link,
      long clusterId,
      RaftDriver<?> driver,
      TaskTimer timer,
      long maxTimeoutMs) {
    this.router = router;
    this.changes = changes;
    this.link = link;
    this.clusterId = clusterId;
    this.driver = driver;
    this.timer = timer;
    this.maxTimeoutMs = maxTimeoutMs;
  }

  /**
   * Completes with the members after the change, or exceptionally with a failure that {@link
   * ClientStatus#of} turns into etcd's status.
   */
  public CompletableFuture<Membership> execute(
      ChangeMembershipRequest.Kind kind, long nodeId, long timeoutMs) {
    return execute(kind, nodeId, "", timeoutMs);
  }

  /** The same, for a change that names a peer address ({@code UPDATE_PEER_ADDR}). */
  public CompletableFuture<Membership> execute(
      ChangeMembershipRequest.Kind kind, long nodeId, String peerAddr, long timeoutMs) {
    long boundMs = Math.min(timeoutMs, maxTimeoutMs);
    long deadlineNanos = timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(boundMs);
    return router
        .route(
            new LeaderWork<Changed>() {
              @Override
              public CompletableFuture<Changed> runHere(long remainingMs) {
                return changes.change(kind, nodeId, peerAddr).thenApply(m -> new Changed(m, 0));
              }

              @Override
              public CompletableFuture<Changed> forward(long leaderId, long remainingMs) {
                ChangeMembershipRequest request =
                    ChangeMembershipRequest.newBuilder()
                        .setClusterId(clusterId)
                        .setKind(kind)
                        .setNodeId(nodeId)
                        .setPeerAddr(peerAddr)
                        .build();
                CompletableFuture<ChangeMembershipResponse> call =
                    link.changeMembership(leaderId, request, remainingMs);
                CompletableFuture<Changed> answer =
                    call.thenCompose(
                        r ->
                            r.hasRefusal()
                                ? CompletableFuture.failedFuture(
                                    ForwardRefusals.fromWire(r.getRefusal()))
                                : CompletableFuture.completedFuture(
                                    new Changed(
                                        Membership.fromProto(r.getMembership()),
                                        r.getAppliedIndex())));
                answer.whenComplete(
                    (v, e) -> {
                      if (e != null) {
                        call.completeExceptionally(e); // the route gave up: cancel the call
                      }
                    });
                return answer;
              }
            },
            boundMs)
        .thenCompose(
            changed ->
                kind == ChangeMembershipRequest.Kind.REMOVE && nodeId == driver.status().nodeId()
                    // This node stops once it applies its removal: answer while it can.
                    ? CompletableFuture.completedFuture(changed.membership())
                    : AppliedHere.await(driver, timer, changed.leaderApplied(), deadlineNanos)
                        .thenApply(applied -> changed.membership()));
  }

  /**
   * The members after a change, and the leader's applied index when it answered (0: answered here,
   * or by a leader of an older version).
   */
  private record Changed(Membership membership, long leaderApplied) {}
}
