package dev.ballot;

import dev.ballot.api.ClientApi;
import dev.ballot.cluster.LeaderRoutes;
import dev.ballot.cluster.StopHandover;
import dev.ballot.flags.AutoCompactionFlags;
import dev.ballot.flags.HostPort;
import dev.ballot.flags.ListenFailure;
import dev.ballot.http.HttpGateway;
import dev.ballot.http.NodeView;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.CheckpointSnapshots;
import dev.ballot.kv.KvStateMachine;
import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.membership.PeerCheck;
import dev.ballot.metrics.Metrics;
import dev.ballot.node.DriverRuntime;
import dev.ballot.node.RaftDriver;
import dev.ballot.node.RaftTiming;
import dev.ballot.node.SnapshotPolicy;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.storage.HistoryMerger;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.SnapshotDir;
import dev.ballot.storage.SnapshotInstaller;
import dev.ballot.transport.PeerChannels;
import dev.ballot.transport.PeerDirectory;
import dev.ballot.transport.PeerService;
import dev.ballot.transport.PeerTransport;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the node's parts in order (storage, peer server, identity, state machine, Raft driver,
 * membership, client API), runs them until {@code stop}, then stops them: on a signal a leader
 * first hands leadership over ({@link StopHandover}); then the client API (answering what is in
 * flight), peer server, driver; RocksDB closes last, and only once nothing that may touch it still
 * runs.
 */
final class NodeWiring {
  // The node's start-up and stop lines keep the logger name operators know.
  private static final Logger log = LoggerFactory.getLogger(KvServer.class);

  /**
   * Entry payload the Raft core keeps in memory once applied and persisted; older entries are read
   * back from the log files (a follower far behind, a restart). Entries are sent to the followers
   * when appended, so under load a healthy follower never needs them again: about 50 ms of 256-byte
   * puts at 15,000 a second. Kept longer (up to 64 MiB, until the next log compaction), every entry
   * outlived a young collection and was promoted, and the old generation filled with entries that
   * died there: twice the full collections per put (docs/performance.md, item 30).
   */
  private static final long MAX_IN_MEMORY_LOG_BYTES = 256L << 10;

  private final ServerOptions options;

  /** False once threads that use the storage may still run; then the JVM exit closes it. */
  private volatile boolean storageSafeToClose = true;

  NodeWiring(ServerOptions options) {
    this.options = options;
  }

  /**
   * Runs the node until {@code stop} counts down; {@code fatal} holds why (null for a signal).
   * Returns the exit code.
   */
  int run(CountDownLatch stop, AtomicReference<Object> fatal) throws Exception {
    RocksDbRaftStorage storage = RocksDbRaftStorage.open(options.dataDir.resolve("db"));
    try {
      return serve(storage, stop, fatal);
    } finally {
      if (storageSafeToClose) {
        try {
          storage.close();
        } catch (RuntimeException e) {
          // After a disk failure closing fails too; the exit code already says why we stop.
          log.warn("closing the storage failed error=\"{}\"", e.getMessage());
        }
      }
    }
  }

  private int serve(RocksDbRaftStorage storage, CountDownLatch stop, AtomicReference<Object> fatal)
      throws Exception {
    PeerChannels channels = new PeerChannels(options.peerSourceAddr);
    IdentityBootstrap bootstrap = IdentityBootstrap.load(options, channels, storage);
    AtomicReference<AppliedMembership> managerRef = new AtomicReference<>();
    PeerService peerService =
        new PeerService(request -> bootstrap.answerDiscover(request, managerRef.get()));
    Server peerServer =
        NettyServerBuilder.forAddress(HostPort.parse(options.peerAddr).socketAddress())
            // Peer handlers only enqueue into the driver or answer from a future's callback (the
            // snapshot receiver has its own thread): no pool hop per message.
            .directExecutor()
            .addService(peerService)
            .maxInboundMessageSize(PeerTransport.MAX_PEER_MESSAGE_BYTES)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .build();
    try {
      peerServer.start();
    } catch (IOException e) {
      throw new ListenFailure("--peer-addr", options.peerAddr, e);
    }
    if (options.peerSourceAddr == null) {
      log.info("listening for peers addr={}", options.peerAddr);
    } else {
      log.info(
          "listening for peers addr={}, connecting to them from source={}",
          options.peerAddr,
          options.peerSourceAddr.getHostAddress());
    }

    Identity identity = bootstrap.establish(peerServer::shutdownNow);
    if (identity == null) {
      return 2;
    }

    SnapshotDir snapshotDir = SnapshotDir.open(options.dataDir.resolve("snapshots"));
    // An install a crash interrupted is finished before anything reads the state.
    new SnapshotInstaller(storage, snapshotDir).recover();
    KvStore kv = new KvStore(storage.db(), storage.kvFamilies());
    RestoredState restored = storage.loadForStateMachineAt(kv.appliedIndex());
    RaftTiming timing = RaftTiming.of(options.heartbeatIntervalMs, options.electionTimeoutMs);
    RaftConfig config =
        RaftConfig.builder(identity.nodeId())
            .ticks(timing.electionTicks(), timing.heartbeatTicks())
            .maxInMemoryLogBytes(MAX_IN_MEMORY_LOG_BYTES)
            .build();
    ClusterConfig initialConfig = identity.initialMembership().config();
    RaftNode node =
        new RaftNode(
            config, initialConfig, restored, new Random(new SecureRandom().nextLong()), storage);
    kv.initConfig(new ConfigEntry(initialConfig, identity.initialMembership().encode()).encode());
    Identity self = identity;
    Consumer<String> onRemoved =
        new StopOnRemoval(self, storage, options.electionTimeoutMs, stop, fatal);
    KvStore.AppliedConfig appliedConfig = kv.appliedConfig();
    AppliedMembership manager =
        AppliedMembership.restore(
            identity,
            options.advertisedPeerAddr(),
            appliedConfig == null ? null : appliedConfig.entry(),
            restored.entries(),
            onRemoved);
    PeerDirectory peers = manager.peers();
    Membership members = manager.members();
    RaftDriver<ApplyResult> driver =
        new RaftDriver<>(
            node,
            storage,
            inbox ->
                new PeerTransport(
                    channels,
                    self.clusterId(),
                    peers,
                    inbox,
                    System::nanoTime,
                    snapshotDir,
                    onRemoved),
            new KvStateMachine(
                kv,
                new CheckpointSnapshots(kv, storage, snapshotDir, initialConfig),
                c -> managerRef.get().configApplied(c.index(), c.entry())),
            new SnapshotPolicy(options.snapshotCount, options.snapshotCatchupEntries),
            timing.tickMs(),
            timing.electionTicks(),
            DriverRuntime.server(identity.nodeId(), storage),
            error -> {
              fatal.compareAndSet(null, error);
              stop.countDown();
            });
    managerRef.set(manager);
    driver.onConfigAppended(manager::configAppended);
    // Meters only serve /metrics and the dashboard, so they exist only with an HTTP port.
    Metrics metrics = options.httpAddr == null ? null : Metrics.create();
    if (metrics != null) {
      driver.metrics(metrics.node());
    }
    storageSafeToClose = false; // from here on, only a clean stop closes it
    driver.start();
    manager.start();
    LeaderRoutes routes = LeaderRoutes.start(driver, manager, channels, options.electionTimeoutMs);
    PeerCheck.start(
        channels,
        identity,
        members,
        error -> {
          fatal.compareAndSet(null, error);
          stop.countDown();
        },
        onRemoved);
    ClientApi clientApi;
    try {
      clientApi =
          ClientApi.start(
              HostPort.parse(options.clientAddr).socketAddress(),
              identity,
              manager,
              routes,
              driver,
              kv,
              storage,
              options.dataDir,
              options.electionTimeoutMs,
              options.quotaBackendBytes,
              AutoCompactionFlags.parse(
                  options.autoCompactionMode, options.autoCompactionRetention),
              options.watchProgressNotifyInterval,
              metrics == null ? null : metrics.grpc());
    } catch (IOException e) {
      throw new ListenFailure("--client-addr", options.clientAddr, e);
    }
    HttpGateway http = null;
    if (metrics != null) {
      try {
        http =
            HttpGateway.start(
                HostPort.parse(options.httpAddr).socketAddress(),
                new NodeView(
                    identity.nodeId(),
                    identity.clusterId(),
                    options.advertisedClientAddr(),
                    driver,
                    manager,
                    kv,
                    storage,
                    clientApi::dbSizeBytes),
                HostPort.parse(options.clientAddr).socketAddress(),
                ClientApi.requestTimeoutMs(options.electionTimeoutMs),
                metrics.registry(),
                metrics.node(),
                metrics.grpc(),
                metrics.bindNode(driver, manager, kv, storage, clientApi::dbSizeBytes));
      } catch (IOException | RuntimeException e) {
        clientApi.stop();
        if (e instanceof IOException io) {
          throw new ListenFailure("--http-addr", options.httpAddr, io);
        }
        throw e;
      }
      log.info("serving HTTP addr={}", options.httpAddr);
    }
    peerService.attach(
        identity.nodeId(),
        identity.clusterId(),
        peers,
        driver,
        clientApi.writes()::acceptForwarded,
        routes.membershipChanges(),
        snapshotDir);
    // Started once nothing above can throw: the stop below closes it before the storage.
    HistoryMerger historyMerger = HistoryMerger.start(storage);
    log.info("serving clients addr={} node={}", options.clientAddr, identity.nodeId());

    try {
      stop.await();
    } catch (InterruptedException e) {
      // the shutdown hook wakes us this way too
    }
    Object reason = fatal.get();
    log.info(
        "stopping node={} reason=\"{}\"",
        identity.nodeId(),
        reason == null ? "signal" : reason instanceof Throwable t ? t.toString() : reason);
    Thread.interrupted(); // clear it: closing waits for threads
    if (reason == null) {
      // A planned stop: while both ports still serve, a leader hands over, so that writes go on.
      new StopHandover(driver, manager, routes.timer(), options.electionTimeoutMs).run();
    }
    if (http != null) {
      try {
        http.close();
      } catch (InterruptedException | RuntimeException e) {
        // The rest of the stop must still run: the client API, the driver, the storage.
        log.warn("closing the HTTP port failed error=\"{}\"", e.toString());
      }
      Thread.interrupted();
    }
    boolean apiStopped = clientApi.stop();
    peerServer.shutdownNow();
    peerService.close();
    routes.close();
    historyMerger.close();
    // RocksDB must outlive every thread that may still touch it.
    storageSafeToClose = driver.close() && apiStopped;
    channels.close();
    return KvServer.exitCode(reason);
  }
}
