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
import io.grpc.Channel;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link LeaderLink}: the leader's peer port, over the member's shared channel (the
 * path Raft itself uses, so a follower cut off from its leader cannot commit through a side door).
 * Writes share one long-lived {@link ForwardStream} per leader address, opened on first use and
 * again by the first write after it ended; a leader that does not serve its rpc ({@code
 * ForwardBatches}: a node of an earlier version during a rolling upgrade) gets unary {@code
 * Forward} calls for {@link #UNARY_RETRY_MS} before the stream is tried again. Membership changes
 * are unary calls.
 */
public final class GrpcLeaderLink implements LeaderLink {
  private static final Logger log = LoggerFactory.getLogger(GrpcLeaderLink.class);

  /** How long a leader that answered the stream with UNIMPLEMENTED gets unary calls. */
  static final long UNARY_RETRY_MS = 60_000;

  private final PeerChannels channels;
  private final LongFunction<String> peerAddress;
  private final TaskTimer timer;
  private final Map<String, ForwardStream> streams = new ConcurrentHashMap<>();

  /** Leader addresses that do not serve ForwardBatches, until a time of {@link #timer}. */
  private final Map<String, Long> unaryUntilNanos = new ConcurrentHashMap<>();

  /**
   * @param peerAddress where a member's peer port is (null for an unknown member)
   * @param timer the clock of the fallback to unary calls
   */
  public GrpcLeaderLink(PeerChannels channels, LongFunction<String> peerAddress, TaskTimer timer) {
    this.channels = channels;
    this.peerAddress = peerAddress;
    this.timer = timer;
  }

  /**
   * Over the leader's stream; the caller bounds the wait ({@code timeoutMs} travels to the leader,
   * which answers "outcome unknown" once it passed) and completes the future when it gives up.
   */
  @Override
  public CompletableFuture<ForwardResponse> forward(
      long leaderId, ForwardRequest request, long timeoutMs) {
    String address = peerAddress.apply(leaderId);
    Channel channel = address == null ? null : channel(address);
    if (channel == null) {
      return unknownLeader(leaderId);
    }
    if (unaryOnly(address)) {
      return adapt(stub(channel, timeoutMs).forward(request));
    }
    return stream(address, channel).forward(request, timeoutMs);
  }

  @Override
  public CompletableFuture<ChangeMembershipResponse> changeMembership(
      long leaderId, ChangeMembershipRequest request, long timeoutMs) {
    String address = peerAddress.apply(leaderId);
    Channel channel = address == null ? null : channel(address);
    return channel == null
        ? unknownLeader(leaderId)
        : adapt(stub(channel, timeoutMs).changeMembership(request));
  }

  /** Writes waiting for an answer on the stream to {@code address} (0: no stream open). */
  int pendingWrites(String address) {
    ForwardStream stream = streams.get(address);
    return stream == null ? 0 : stream.pendingWrites();
  }

  private Channel channel(String address) {
    try {
      return channels.channel(address);
    } catch (IllegalStateException e) { // the pool is closed or full
      return null;
    }
  }

  private static RaftPeerGrpc.RaftPeerFutureStub stub(Channel channel, long timeoutMs) {
    return RaftPeerGrpc.newFutureStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private ForwardStream stream(String address, Channel channel) {
    ForwardStream stream = streams.get(address);
    if (stream != null && stream.isOpen()) {
      return stream;
    }
    synchronized (streams) {
      stream = streams.get(address);
      if (stream == null || !stream.isOpen()) {
        stream = ForwardStream.open(channel, address, this::ended);
        streams.put(address, stream);
      }
      return stream;
    }
  }

  private void ended(ForwardStream stream, Status status) {
    streams.remove(stream.address(), stream);
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      log.info(
          "leader does not serve ForwardBatches, forwarding with unary calls address={} forMs={}",
          stream.address(),
          UNARY_RETRY_MS);
      unaryUntilNanos.put(
          stream.address(), timer.nowNanos() + TimeUnit.MILLISECONDS.toNanos(UNARY_RETRY_MS));
    }
  }

  private boolean unaryOnly(String address) {
    Long untilNanos = unaryUntilNanos.get(address);
    if (untilNanos == null) {
      return false;
    }
    if (timer.nowNanos() - untilNanos < 0) {
      return true;
    }
    unaryUntilNanos.remove(address, untilNanos);
    return false;
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
            result.completeExceptionally(RouteFailure.ofFailedHop(Status.fromThrowable(t)));
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
}
