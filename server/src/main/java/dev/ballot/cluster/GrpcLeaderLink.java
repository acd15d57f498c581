package dev.ballot.cluster;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.transport.PeerChannels;
import io.grpc.Status;
import java.net.ConnectException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The production {@link LeaderLink}: the leader's peer port, over the member's shared channel (the
 * path Raft itself uses, so a follower cut off from its leader cannot commit through a side door).
 */
public final class GrpcLeaderLink implements LeaderLink {
  private final PeerChannels channels;
  private final LongFunction<String> peerAddress;

  /**
   * @param peerAddress where a member's peer port is (null for an unknown member)
   */
  public GrpcLeaderLink(PeerChannels channels, LongFunction<String> peerAddress) {
    this.channels = channels;
    this.peerAddress = peerAddress;
  }

  @Override
  public CompletableFuture<ForwardResponse> forward(
      long leaderId, ForwardRequest request, long timeoutMs) {
    RaftPeerGrpc.RaftPeerFutureStub stub = stub(leaderId, timeoutMs);
    return stub == null ? unknownLeader(leaderId) : adapt(stub.forward(request));
  }

  @Override
  public CompletableFuture<ChangeMembershipResponse> changeMembership(
      long leaderId, ChangeMembershipRequest request, long timeoutMs) {
    RaftPeerGrpc.RaftPeerFutureStub stub = stub(leaderId, timeoutMs);
    return stub == null ? unknownLeader(leaderId) : adapt(stub.changeMembership(request));
  }

  private RaftPeerGrpc.RaftPeerFutureStub stub(long leaderId, long timeoutMs) {
    String address = peerAddress.apply(leaderId);
    if (address == null) {
      return null;
    }
    try {
      return RaftPeerGrpc.newFutureStub(channels.channel(address))
          .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (IllegalStateException e) { // the pool is closed or full
      return null;
    }
  }

  private static <T> CompletableFuture<T> unknownLeader(long leaderId) {
    return CompletableFuture.failedFuture(
        RouteFailure.neverSent("no channel to leader " + leaderId));
  }

  private static <T> CompletableFuture<T> adapt(ListenableFuture<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Futures.addCallback(
        call,
        new FutureCallback<>() {
          @Override
          public void onSuccess(T value) {
            result.complete(value);
          }

          @Override
          public void onFailure(Throwable t) {
            Status s = Status.fromThrowable(t);
            result.completeExceptionally(
                refusedConnection(s)
                    ? RouteFailure.neverSent("connection refused: " + s)
                    : RouteFailure.outcomeUnknown("peer call failed: " + s));
          }
        },
        MoreExecutors.directExecutor());
    // A caller that gives up (the route's timer) cancels the call.
    result.whenComplete(
        (v, e) -> {
          if (e != null) {
            call.cancel(false);
          }
        });
    return result;
  }

  /** The call failed to connect, so the leader never saw it. */
  private static boolean refusedConnection(Status s) {
    for (Throwable c = s.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }
}
