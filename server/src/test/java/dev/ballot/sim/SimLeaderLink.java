package dev.ballot.sim;

import dev.ballot.cluster.LeaderLink;
import dev.ballot.cluster.RouteFailure;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;

/**
 * A follower's hop to its leader over the simulated network: the request and the answer each cross
 * it (delayed, maybe lost), and the leader's {@code KvWrites.acceptForwarded} answers. A request to
 * a node that is down is refused at once (connection refused: never sent); a lost request or answer
 * leaves the caller waiting until the route gives up (outcome unknown).
 */
final class SimLeaderLink implements LeaderLink {
  private final long selfId;
  private final SimNetwork network;
  private final EventQueue events;
  private final LongFunction<SimServer> servers;

  SimLeaderLink(
      long selfId, SimNetwork network, EventQueue events, LongFunction<SimServer> servers) {
    this.selfId = selfId;
    this.network = network;
    this.events = events;
    this.servers = servers;
  }

  @Override
  public CompletableFuture<ForwardResponse> forward(
      long leaderId, ForwardRequest request, long timeoutMs) {
    CompletableFuture<ForwardResponse> answer = new CompletableFuture<>();
    SimServer leader = servers.apply(leaderId);
    if (leader == null || !leader.isUp()) {
      answer.completeExceptionally(RouteFailure.neverSent("connection refused by " + leaderId));
      return answer;
    }
    if (!network.passes(selfId, leaderId)) {
      return answer; // lost on the way: the caller's deadline decides
    }
    int incarnation = leader.incarnation();
    events.after(
        network.delayMs(),
        () -> {
          SimServer at = leader;
          if (!at.isUp() || at.incarnation() != incarnation) {
            // The connection broke with the request in it: the caller cannot tell if it arrived.
            answer.completeExceptionally(
                RouteFailure.outcomeUnknown("connection to " + leaderId + " broke"));
            return;
          }
          at.writes()
              .acceptForwarded(request.getCommand().toByteArray(), timeoutMs)
              .whenComplete(
                  (response, error) -> {
                    if (error != null) {
                      throw new AssertionError("acceptForwarded failed", error);
                    }
                    if (network.passes(leaderId, selfId)) {
                      events.after(network.delayMs(), () -> answer.complete(response));
                    }
                  });
        });
    return answer;
  }

  @Override
  public CompletableFuture<ChangeMembershipResponse> changeMembership(
      long leaderId, ChangeMembershipRequest request, long timeoutMs) {
    throw new UnsupportedOperationException(
        "the simulation's membership changes are proposed on the leader's driver");
  }
}
