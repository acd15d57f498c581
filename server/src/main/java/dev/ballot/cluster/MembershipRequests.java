package dev.ballot.cluster;

import dev.ballot.membership.Membership;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import java.util.concurrent.CompletableFuture;

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
  private final long maxTimeoutMs;

  /**
   * @param maxTimeoutMs the longest an operation may take, whatever the client's deadline
   */
  /** The server's timing: an operation takes at most eight election timeouts. */
  public static MembershipRequests forElectionTimeout(
      LeaderRouter router,
      MembershipChanges changes,
      LeaderLink link,
      long clusterId,
      long electionTimeoutMs) {
    return new MembershipRequests(router, changes, link, clusterId, 8 * electionTimeoutMs);
  }

  public MembershipRequests(
      LeaderRouter router,
      MembershipChanges changes,
      LeaderLink link,
      long clusterId,
      long maxTimeoutMs) {
    this.router = router;
    this.changes = changes;
    this.link = link;
    this.clusterId = clusterId;
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
    return router.route(
        new LeaderWork<>() {
          @Override
          public CompletableFuture<Membership> runHere(long remainingMs) {
            return changes.change(kind, nodeId, peerAddr);
          }

          @Override
          public CompletableFuture<Membership> forward(long leaderId, long remainingMs) {
            ChangeMembershipRequest request =
                ChangeMembershipRequest.newBuilder()
                    .setClusterId(clusterId)
                    .setKind(kind)
                    .setNodeId(nodeId)
                    .setPeerAddr(peerAddr)
                    .build();
            CompletableFuture<ChangeMembershipResponse> call =
                link.changeMembership(leaderId, request, remainingMs);
            CompletableFuture<Membership> answer =
                call.thenCompose(
                    r ->
                        r.hasRefusal()
                            ? CompletableFuture.failedFuture(
                                ForwardRefusals.fromWire(r.getRefusal()))
                            : CompletableFuture.completedFuture(
                                Membership.fromProto(r.getMembership())));
            answer.whenComplete(
                (v, e) -> {
                  if (e != null) {
                    call.completeExceptionally(e); // the route gave up: cancel the call
                  }
                });
            return answer;
          }
        },
        Math.min(timeoutMs, maxTimeoutMs));
  }
}
