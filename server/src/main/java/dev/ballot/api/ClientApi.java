package dev.ballot.api;

import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.membership.Identity;
import dev.ballot.node.RaftDriver;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The client port: etcd's KV, Cluster and Maintenance services over gRPC. */
public final class ClientApi implements AutoCloseable {
  /** etcd's default --max-request-bytes; a bigger request is refused before anything is written. */
  public static final int MAX_REQUEST_BYTES = 1536 * 1024;

  /** As etcd: gRPC accepts a little more than a request, so the check above gives etcd's error. */
  static final int MAX_GRPC_MESSAGE_BYTES = MAX_REQUEST_BYTES + 512 * 1024;

  /** etcd's answer time for a request is 5 s plus two election timeouts. */
  private static final long BASE_REQUEST_TIMEOUT_MS = 5_000;

  private final Server server;
  private final LeaderForwarder forwarder;

  private ClientApi(Server server, LeaderForwarder forwarder) {
    this.server = server;
    this.forwarder = forwarder;
  }

  public static ClientApi start(
      InetSocketAddress address,
      Identity identity,
      RaftDriver<ApplyResult> driver,
      KvStore kv,
      Path dataDir,
      long electionTimeoutMs)
      throws IOException {
    Headers headers = new Headers(identity, driver);
    LeaderForwarder forwarder = new LeaderForwarder(identity);
    KvService kvService =
        new KvService(
            kv,
            new KvRequests(KvRequests.DEFAULT_MAX_TXN_OPS, MAX_REQUEST_BYTES),
            driver,
            headers,
            forwarder,
            BASE_REQUEST_TIMEOUT_MS + 2 * electionTimeoutMs,
            2 * electionTimeoutMs,
            Math.max(10, electionTimeoutMs / 10));
    Server server =
        NettyServerBuilder.forAddress(address)
            // Handlers only enqueue and complete from callbacks: no pool hop per request.
            .directExecutor()
            .maxInboundMessageSize(MAX_GRPC_MESSAGE_BYTES)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addService(ServerInterceptors.intercept(kvService, LeaderForwarder.interceptor()))
            .addService(new MaintenanceService(driver, headers, kv::revision, dataDir))
            .addService(new ClusterService(identity, headers, kv::revision))
            .build()
            .start();
    return new ClientApi(server, forwarder);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
    forwarder.close();
  }
}
