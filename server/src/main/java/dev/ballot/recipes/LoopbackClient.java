package dev.ballot.recipes;

import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.LeaseGrpc;
import dev.ballot.etcd.api.WatchGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * This node's own client port, as a client sees it: locks and elections are etcd's client recipes
 * run by the server against itself, so each of their steps goes through the log (or a linearizable
 * read, or a watch) exactly like any client's request, on any node.
 */
public final class LoopbackClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final KVGrpc.KVStub kv;
  private final WatchGrpc.WatchStub watch;
  private final LeaseGrpc.LeaseStub lease;

  private LoopbackClient(ManagedChannel channel) {
    this.channel = channel;
    this.kv = KVGrpc.newStub(channel);
    this.watch = WatchGrpc.newStub(channel);
    this.lease = LeaseGrpc.newStub(channel);
  }

  /**
   * A channel to the client port bound at {@code bound} (a wildcard address is reached over the
   * loopback interface). Callbacks run on gRPC's network threads: the recipes only chain requests.
   */
  public static LoopbackClient connect(InetSocketAddress bound, int maxInboundMessageBytes) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(target(bound))
            .usePlaintext()
            .directExecutor()
            .maxInboundMessageSize(maxInboundMessageBytes)
            .build();
    return new LoopbackClient(channel);
  }

  /** Where this node reaches a port of its own bound at {@code bound} (a wildcard: loopback). */
  public static InetSocketAddress target(InetSocketAddress bound) {
    return bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
        ? new InetSocketAddress(InetAddress.getLoopbackAddress(), bound.getPort())
        : bound;
  }

  KVGrpc.KVStub kv() {
    return kv;
  }

  WatchGrpc.WatchStub watch() {
    return watch;
  }

  LeaseGrpc.LeaseStub lease() {
    return lease;
  }

  /** Ends every request in flight: the waits of the recipes fail and their callers are answered. */
  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
