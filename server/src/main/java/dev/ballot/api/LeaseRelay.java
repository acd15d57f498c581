package dev.ballot.api;

import dev.ballot.cluster.RouteFailure;
import dev.ballot.etcd.api.LeaseGrpc;
import dev.ballot.etcd.api.LeaseKeepAliveRequest;
import dev.ballot.etcd.api.LeaseKeepAliveResponse;
import dev.ballot.etcd.api.LeaseTimeToLiveRequest;
import dev.ballot.etcd.api.LeaseTimeToLiveResponse;
import dev.ballot.transport.PeerChannels;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * A follower's hop to the leader for what only the leader's clock can answer (keep-alives and
 * remaining TTLs): the same etcd call on the leader's client port, marked as relayed so that a node
 * that is no longer leader refuses it ("not leader") instead of relaying it again. Both calls are
 * idempotent, so any refusal of a node that does not lead is safe to try again elsewhere.
 */
final class LeaseRelay {
  private static final Metadata.Key<String> RELAYED =
      Metadata.Key.of("ballot-lease-relayed", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> RELAYED_CALL = Context.key("ballot-lease-relayed");

  private final PeerChannels channels;
  private final LongFunction<Optional<String>> clientAddress;

  /**
   * @param clientAddress a member's client address by its id (empty if not a member)
   */
  LeaseRelay(PeerChannels channels, LongFunction<Optional<String>> clientAddress) {
    this.channels = channels;
    this.clientAddress = clientAddress;
  }

  /** Marks the calls another node relayed, for {@link #isRelayed}. */
  static ServerInterceptor marker() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (headers.containsKey(RELAYED)) {
          return Contexts.interceptCall(
              Context.current().withValue(RELAYED_CALL, true), call, headers, next);
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Whether the current call came from another node's relay (so it is never relayed again). */
  static boolean isRelayed() {
    return Boolean.TRUE.equals(RELAYED_CALL.get());
  }

  CompletableFuture<LeaseTimeToLiveResponse> timeToLive(
      long leaderId, LeaseTimeToLiveRequest request, long timeoutMs) {
    CompletableFuture<LeaseTimeToLiveResponse> answer = new CompletableFuture<>();
    LeaseGrpc.LeaseStub stub;
    try {
      stub = stub(leaderId, timeoutMs);
    } catch (RouteFailure e) {
      return CompletableFuture.failedFuture(e);
    }
    stub.leaseTimeToLive(request, new FirstAnswer<>(answer));
    return answer;
  }

  CompletableFuture<LeaseKeepAliveResponse> keepAlive(long leaderId, long id, long timeoutMs) {
    CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
    LeaseGrpc.LeaseStub stub;
    try {
      stub = stub(leaderId, timeoutMs);
    } catch (RouteFailure e) {
      return CompletableFuture.failedFuture(e);
    }
    StreamObserver<LeaseKeepAliveRequest> requests = stub.leaseKeepAlive(new FirstAnswer<>(answer));
    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
    requests.onCompleted();
    return answer;
  }

  private LeaseGrpc.LeaseStub stub(long leaderId, long timeoutMs) {
    String address =
        clientAddress
            .apply(leaderId)
            .orElseThrow(() -> RouteFailure.neverSent("leader " + leaderId + " is not a member"));
    Metadata headers = new Metadata();
    headers.put(RELAYED, "1");
    return LeaseGrpc.newStub(channels.channel(address))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** Completes with the first response; failures as the route's kinds. */
  private static final class FirstAnswer<T> implements StreamObserver<T> {
    private final CompletableFuture<T> answer;

    FirstAnswer(CompletableFuture<T> answer) {
      this.answer = answer;
    }

    @Override
    public void onNext(T value) {
      answer.complete(value);
    }

    @Override
    public void onError(Throwable error) {
      answer.completeExceptionally(failure(Status.fromThrowable(error)));
    }

    @Override
    public void onCompleted() {
      answer.completeExceptionally(RouteFailure.outcomeUnknown("the leader sent no answer"));
    }
  }

  private static RuntimeException failure(Status status) {
    return switch (status.getCode()) {
        // A node that does not lead (or not yet), or could not be reached: ask again.
      case UNAVAILABLE, FAILED_PRECONDITION -> RouteFailure.notLeader(0);
      case DEADLINE_EXCEEDED, CANCELLED -> RouteFailure.outcomeUnknown("relay: " + status);
      default -> RouteFailure.refused(status);
    };
  }

  static StatusRuntimeException notLeader() {
    return dev.ballot.node.EtcdStatus.NOT_LEADER;
  }
}
