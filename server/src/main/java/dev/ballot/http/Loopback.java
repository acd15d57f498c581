package dev.ballot.http;

import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.WatchGrpc;
import dev.ballot.recipes.LoopbackClient;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The HTTP port's way in: a gRPC channel to this node's own client port, so that every request goes
 * through exactly the checks, limits, errors and routes a gRPC client's does (as etcd's gateway
 * dials its own gRPC server).
 */
final class Loopback implements AutoCloseable {
  /** A range answer over HTTP can be this large; ask with a limit for more. */
  static final int MAX_RESPONSE_BYTES = 4 << 20;

  private final ManagedChannel channel;
  private final long deadlineMs;

  /**
   * @param work where answers arrive and are turned into JSON: not gRPC's own network threads,
   *     which also carry the Raft traffic of this node
   */
  Loopback(InetSocketAddress clientPort, long deadlineMs, Executor work) {
    this.channel =
        NettyChannelBuilder.forAddress(LoopbackClient.target(clientPort))
            .usePlaintext()
            .executor(work)
            .maxInboundMessageSize(MAX_RESPONSE_BYTES)
            .build();
    this.deadlineMs = deadlineMs;
  }

  KVGrpc.KVStub kv() {
    return KVGrpc.newStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
  }

  MaintenanceGrpc.MaintenanceStub maintenance() {
    return MaintenanceGrpc.newStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
  }

  WatchGrpc.WatchStub watch() {
    return WatchGrpc.newStub(channel);
  }

  /** One unary call as a future. */
  static <Q, A> CompletableFuture<A> call(BiConsumer<Q, StreamObserver<A>> method, Q request) {
    CompletableFuture<A> result = new CompletableFuture<>();
    method.accept(
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(A value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(new IllegalStateException("no answer"));
          }
        });
    return result;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
