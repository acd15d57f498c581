package dev.ballot.cluster;

import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The hop from a follower to its leader (production: gRPC over the peer port, {@link
 * GrpcLeaderLink}; the simulation: its network). An answer may carry the leader's typed refusal; a
 * failed hop fails with {@link RouteFailure} NEVER_SENT if the request cannot have left this node,
 * else OUTCOME_UNKNOWN.
 */
public interface LeaderLink {
  CompletableFuture<ForwardResponse> forward(long leaderId, ForwardRequest request, long timeoutMs);

  CompletableFuture<ChangeMembershipResponse> changeMembership(
      long leaderId, ChangeMembershipRequest request, long timeoutMs);
}
