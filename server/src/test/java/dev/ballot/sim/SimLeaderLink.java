package dev.ballot.sim;

import dev.ballot.cluster.LeaderLink;
import dev.ballot.cluster.RouteFailure;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * A node's calls to another over the simulated network: the request and the answer each cross it
 * (delayed, maybe lost), and the other node's handler answers ({@code KvWrites.acceptForwarded} for
 * a forwarded write, {@code MembershipChanges.change} for a membership change, {@code
 * MembershipChanges.register} for a joiner's registration). A request to a node that is down is
 * refused at once (connection refused: never sent); a lost request or answer leaves the caller
 * waiting until it gives up (outcome unknown); a node that restarts with the request on its way
 * breaks the connection (outcome unknown).
 */
final class SimLeaderLink implements LeaderLink {
  /**
   * The sender id of a joining node's host, which has no node id yet: links from it are never cut,
   * but its messages may be lost.
   */
  static final long JOINER_HOST = 0;

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
    return call(
        leaderId, at -> at.writes().acceptForwarded(request.getCommand().toByteArray(), timeoutMs));
  }

  @Override
  public CompletableFuture<ChangeMembershipResponse> changeMembership(
      long leaderId, ChangeMembershipRequest request, long timeoutMs) {
    if (request.getClusterId() != SimServer.CLUSTER_ID) {
      throw new AssertionError("membership change for cluster " + request.getClusterId());
    }
    return call(leaderId, at -> at.membershipChanges().change(request, timeoutMs));
  }

  /**
   * Sends a request to node {@code toId} that {@code handler} answers there. The handler's future
   * must complete normally: a failure goes back inside the answer, as on the wire.
   */
  <T> CompletableFuture<T> call(long toId, Function<SimServer, CompletableFuture<T>> handler) {
    CompletableFuture<T> answer = new CompletableFuture<>();
    SimServer to = servers.apply(toId);
    if (to == null || !to.isUp()) {
      answer.completeExceptionally(RouteFailure.neverSent("connection refused by " + toId));
      return answer;
    }
    if (!network.passes(selfId, toId)) {
      return answer; // lost on the way: the caller's deadline decides
    }
    int incarnation = to.incarnation();
    events.after(
        network.delayMs(),
        () -> {
          if (!to.isUp() || to.incarnation() != incarnation) {
            // The connection broke with the request in it: the caller cannot tell if it arrived.
            answer.completeExceptionally(
                RouteFailure.outcomeUnknown("connection to " + toId + " broke"));
            return;
          }
          handler
              .apply(to)
              .whenComplete(
                  (response, error) -> {
                    if (error != null) {
                      // Fails the run: thrown from the event, not lost inside a future.
                      events.after(
                          0,
                          () -> {
                            throw new AssertionError("node " + toId + " failed to answer", error);
                          });
                      return;
                    }
                    if (network.passes(toId, selfId)) {
                      events.after(network.delayMs(), () -> answer.complete(response));
                    }
                  });
        });
    return answer;
  }
}
