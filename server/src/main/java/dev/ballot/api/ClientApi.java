package dev.ballot.api;

import dev.ballot.cluster.AutoCompaction;
import dev.ballot.cluster.AutoCompactor;
import dev.ballot.cluster.KvWrites;
import dev.ballot.cluster.LeaderRoutes;
import dev.ballot.cluster.Lessor;
import dev.ballot.cluster.LinearizableReads;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.KvRequests;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.LeaseGrants;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.recipes.ElectionService;
import dev.ballot.recipes.LockService;
import dev.ballot.recipes.LoopbackClient;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.watch.WatchHub;
import dev.ballot.watch.WatchService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** The client port: etcd's KV, Lease, Cluster and Maintenance services over gRPC. */
public final class ClientApi implements AutoCloseable {
  /** etcd's default --max-request-bytes; a bigger request is refused before anything is written. */
  public static final int MAX_REQUEST_BYTES = 1536 * 1024;

  /** As etcd: gRPC accepts a little more than a request, so the check above gives etcd's error. */
  static final int MAX_GRPC_MESSAGE_BYTES = MAX_REQUEST_BYTES + 512 * 1024;

  /** etcd's answer time for a request is 5 s plus two election timeouts. */
  private static final long BASE_REQUEST_TIMEOUT_MS = 5_000;

  /** How long a request may take before the node answers that it timed out. */
  public static long requestTimeoutMs(long electionTimeoutMs) {
    return BASE_REQUEST_TIMEOUT_MS + 2 * electionTimeoutMs;
  }

  /** Reads waiting for a read thread; beyond this they are refused as "too many requests". */
  private static final int MAX_QUEUED_READS = 8_192;

  private final Server server;
  private final KvWrites writes;
  private final ReadThreads readPool;
  private final SnapshotSender snapshots;
  private final SpaceQuota quota;
  private final Lessor lessor;

  private final WatchHub watches;
  private final AutoCompactor compactor;
  private final LoopbackClient loopback;

  private ClientApi(
      Server server,
      KvWrites writes,
      ReadThreads readPool,
      SnapshotSender snapshots,
      SpaceQuota quota,
      WatchHub watches,
      AutoCompactor compactor,
      LoopbackClient loopback,
      Lessor lessor) {
    this.lessor = lessor;
    this.loopback = loopback;
    this.quota = quota;
    this.watches = watches;
    this.compactor = compactor;
    this.server = server;
    this.writes = writes;
    this.readPool = readPool;
    this.snapshots = snapshots;
  }

  /**
   * The node's one key-value write path (built here because it checks this port's space quota); the
   * peer port hands the writes followers forward to its {@link KvWrites#acceptForwarded}.
   */
  public KvWrites writes() {
    return writes;
  }

  /**
   * The database's bytes on disk, as the space quota last measured them (twice a second): for
   * status pages and metrics, which need not walk the files again.
   */
  public long dbSizeBytes() {
    return quota.sizeBytes();
  }

  /**
   * Local reads of the store run here (all but serializable one-key gets), never on Raft threads.
   */
  private static ReadThreads newReadPool(long nodeId) {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    return new ReadThreads("kv-read-" + nodeId + "-", threads, MAX_QUEUED_READS);
  }

  public static ClientApi start(
      InetSocketAddress address,
      Identity identity,
      AppliedMembership members,
      LeaderRoutes routes,
      RaftDriver<ApplyResult> driver,
      KvStore kv,
      RocksDbRaftStorage storage,
      Path dataDir,
      long electionTimeoutMs,
      long quotaBackendBytes,
      AutoCompaction autoCompaction,
      Duration watchProgressInterval,
      ServerInterceptor metrics)
      throws IOException {
    Headers headers = new Headers(identity, driver);
    ReadThreads readPool = newReadPool(identity.nodeId());
    SpaceQuota quota =
        new SpaceQuota(quotaBackendBytes, storage, dataDir.resolve("db"), kv, identity.nodeId());
    KvRequests requests = new KvRequests(KvRequests.DEFAULT_MAX_TXN_OPS, MAX_REQUEST_BYTES);
    long requestTimeoutMs = requestTimeoutMs(electionTimeoutMs);
    KvWrites writes =
        new KvWrites(
            requests,
            quota,
            driver,
            routes.router(),
            routes.link(),
            routes.timer(),
            identity.clusterId());
    KvService kvService =
        new KvService(
            kv,
            requests,
            headers,
            writes,
            new LinearizableReads(driver, routes.timer(), 2 * electionTimeoutMs),
            requestTimeoutMs,
            readPool);
    // The quota raises its alarm through the log like any write, on the one write path.
    quota.start(
        (command, done) ->
            writes
                .write(command, requestTimeoutMs)
                .whenComplete((response, error) -> done.accept(error == null)));
    // Backup scratch files sit beside the instance (hard links need one file system) but outside
    // it, so that the size reported by Status is the instance's alone.
    SnapshotSender snapshots =
        new SnapshotSender(
            kv,
            storage.db(),
            identity.nodeId(),
            identity.clusterId(),
            headers,
            dataDir.resolve("backup"));
    MaintenanceService maintenance =
        new MaintenanceService(
            driver,
            headers,
            kv::revision,
            storage::snapshotIndex,
            DbSize.of(storage, dataDir.resolve("db")),
            storage::reclaimableBytes,
            readPool,
            snapshots,
            members,
            routes.membershipRequests(),
            kv,
            new AlarmRequests(kv, kvService, headers),
            storage::compactAll);
    WatchHub watches =
        new WatchHub(
            kv,
            headers::header,
            watchProgressInterval,
            identity.nodeId(),
            () -> driver.status().leaderId() != 0,
            Duration.ofMillis(electionTimeoutMs));
    AutoCompactor compactor =
        new AutoCompactor(
            autoCompaction,
            kv::revision,
            kv::compactRevision,
            () -> {
              NodeStatus s = driver.status();
              return s.leaderId() == s.nodeId();
            },
            command -> writes.write(command, requestTimeoutMs),
            identity.nodeId());
    Lessor lessor =
        new Lessor(
            driver::status, kv, command -> writes.write(command, requestTimeoutMs), routes.timer());
    LeaseService leases =
        new LeaseService(
            kv,
            writes,
            new LeaseGrants(
                LeaseGrants.minTtlSeconds(electionTimeoutMs),
                new Random(new SecureRandom().nextLong())),
            lessor,
            routes.router(),
            new LinearizableReads(driver, routes.timer(), 2 * electionTimeoutMs),
            new LeaseRelay(
                routes.channels(),
                id -> members.members().member(id).map(Membership.Member::clientAddr)),
            headers,
            requestTimeoutMs,
            readPool);
    MalformedTrafficLog.quiet();
    // Locks and elections are clients of this port; their channel connects once it listens.
    LoopbackClient loopback = LoopbackClient.connect(address, MAX_GRPC_MESSAGE_BYTES);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    if (metrics != null) {
      builder.intercept(metrics);
    }
    Server server =
        builder
            // Handlers only enqueue and complete from callbacks: no pool hop per request.
            .directExecutor()
            .maxInboundMessageSize(MAX_GRPC_MESSAGE_BYTES)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .addService(kvService)
            .addService(new WatchService(watches).withMetadata())
            .addService(maintenance)
            .addService(new LockService(loopback))
            .addService(new ElectionService(loopback))
            .addService(ServerInterceptors.intercept(leases, LeaseRelay.marker()))
            .addService(
                new ClusterService(members, routes.membershipRequests(), headers, kv::revision))
            .build()
            .start();
    lessor.start();
    return new ClientApi(
        server, writes, readPool, snapshots, quota, watches, compactor, loopback, lessor);
  }

  /**
   * Stops serving.
   *
   * @return true if every thread of the API that may touch the storage has ended
   */
  public boolean stop() throws InterruptedException {
    lessor.close();
    compactor.close();
    server.shutdown();
    // Waiting locks and campaigns end with their requests to this port.
    loopback.close();
    // Watch streams last until the client ends them: end them, so the server can stop now.
    watches.close();
    if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
      server.shutdownNow();
    }
    quota.close();
    readPool.close();
    return snapshots.stop();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
