package dev.ballot.api;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * Hands a follower's client writes to the leader over the peer port (the path Raft itself uses, so
 * a follower cut off from its leader cannot commit through a side door). One channel per member,
 * opened on first use.
 */
final class LeaderForwarder implements AutoCloseable {
  private final long clusterId;
  private final LongFunction<String> peerAddress;
  private final Map<Long, ManagedChannel> channels = new ConcurrentHashMap<>();

  /**
   * @param peerAddress where a member's peer port is (null for an unknown member)
   */
  LeaderForwarder(long clusterId, LongFunction<String> peerAddress) {
    this.clusterId = clusterId;
    this.peerAddress = peerAddress;
  }

  ListenableFuture<ForwardResponse> forward(long leaderId, byte[] command, long timeoutMs) {
    String address = peerAddress.apply(leaderId);
    if (address == null) {
      return Futures.immediateFailedFuture(
          Status.UNAVAILABLE.withDescription("etcdserver: no leader").asRuntimeException());
    }
    ManagedChannel channel =
        channels.computeIfAbsent(
            leaderId,
            id ->
                NettyChannelBuilder.forTarget(address)
                    .usePlaintext()
                    .maxInboundMessageSize(ClientApi.MAX_GRPC_MESSAGE_BYTES)
                    .build());
    return RaftPeerGrpc.newFutureStub(channel)
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .forward(
            ForwardRequest.newBuilder()
                .setClusterId(clusterId)
                .setCommand(ByteString.copyFrom(command))
                .build());
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
