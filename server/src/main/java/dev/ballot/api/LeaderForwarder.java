package dev.ballot.api;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.ballot.membership.Identity;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Hands a follower's client writes to the leader over the peer port (the path Raft itself uses, so
 * a follower cut off from its leader cannot commit through a side door). One channel per member,
 * opened on first use.
 */
final class LeaderForwarder implements AutoCloseable {
  private final Identity identity;
  private final Map<Long, ManagedChannel> channels = new ConcurrentHashMap<>();

  LeaderForwarder(Identity identity) {
    this.identity = identity;
  }

  ListenableFuture<ForwardResponse> forward(long leaderId, byte[] command, long timeoutMs) {
    ManagedChannel channel =
        channels.computeIfAbsent(
            leaderId,
            id ->
                NettyChannelBuilder.forTarget(identity.member(id).peerAddr())
                    .usePlaintext()
                    .maxInboundMessageSize(ClientApi.MAX_GRPC_MESSAGE_BYTES)
                    .build());
    return RaftPeerGrpc.newFutureStub(channel)
        .withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
        .forward(
            ForwardRequest.newBuilder()
                .setClusterId(identity.clusterId())
                .setCommand(ByteString.copyFrom(command))
                .build());
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
