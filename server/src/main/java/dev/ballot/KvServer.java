package dev.ballot;

import ch.qos.logback.classic.Level;
import dev.ballot.api.ClientApi;
import dev.ballot.backup.BackupFormatException;
import dev.ballot.cluster.LeaderRoutes;
import dev.ballot.flags.DataDirConverter;
import dev.ballot.flags.HostPort;
import dev.ballot.flags.HostPortConverter;
import dev.ballot.flags.ListenFailure;
import dev.ballot.flags.LogLevelConverter;
import dev.ballot.flags.LongConverters;
import dev.ballot.flags.ReadableFileConverter;
import dev.ballot.flags.ServerFlags;
import dev.ballot.kv.ApplyResult;
import dev.ballot.kv.KvSnapshots;
import dev.ballot.kv.KvStateMachine;
import dev.ballot.kv.KvStore;
import dev.ballot.maintenance.BackupRestore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Discovery;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.membership.PeerCheck;
import dev.ballot.membership.Registration;
import dev.ballot.node.RaftDriver;
import dev.ballot.node.SnapshotPolicy;
import dev.ballot.proto.raft.v1.DiscoverRequest;
import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.storage.DiskFailureException;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.SnapshotDir;
import dev.ballot.storage.SnapshotInstaller;
import dev.ballot.storage.StorageCorruptionException;
import dev.ballot.transport.PeerChannels;
import dev.ballot.transport.PeerDirectory;
import dev.ballot.transport.PeerService;
import dev.ballot.transport.PeerTransport;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvserver}: one Ballot node. */
@Command(
    name = "kvserver",
    mixinStandardHelpOptions = true,
    version = "kvserver 0.1.0",
    description = "Runs one node of a Ballot cluster (etcd v3 API for clients).",
    footer = {
      "",
      "On first start the nodes listed in --initial-cluster discover each other and number",
      "themselves 1..N; a node started with --join instead registers with a running cluster",
      "and gets the next id. The identity is stored in --data-dir and reused on every restart.",
      "Exit codes: 0 stopped cleanly, 1 fatal error or an address it cannot listen on, 2 bad",
      "flags (or a restore refused: the data directory holds data, or the backup file is not",
      "valid), 3 a disk write or sync failed (I/O error, disk full), 4 corrupt data found (log,",
      "snapshot, identity)."
    })
public final class KvServer implements java.util.concurrent.Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(KvServer.class);
  private static final long SHUTDOWN_WAIT_SECONDS = 30;

  /** A write or sync to disk failed (I/O error, full disk): the node stopped at once. */
  public static final int EXIT_DISK_FAILURE = 3;

  /** Stored data is corrupt: the node refused to start on it (or stopped when it met it). */
  public static final int EXIT_CORRUPT_DATA = 4;

  /** Entry payload the Raft core keeps in memory; older entries are read back from RocksDB. */
  private static final long MAX_IN_MEMORY_LOG_BYTES = 64L << 20;

  /** False once threads that use the storage may still run; then the JVM exit closes it. */
  private volatile boolean storageSafeToClose = true;

  @Option(
      names = "--data-dir",
      required = true,
      converter = DataDirConverter.class,
      description = "Where this node keeps its data.")
  Path dataDir;

  @Option(
      names = "--client-addr",
      converter = HostPortConverter.class,
      defaultValue = "127.0.0.1:2379",
      description = "host:port for clients (etcd v3 gRPC API). Default: ${DEFAULT-VALUE}.")
  String clientAddr;

  @Option(
      names = "--peer-addr",
      converter = HostPortConverter.class,
      defaultValue = "127.0.0.1:2380",
      description = "host:port for the other nodes. Default: ${DEFAULT-VALUE}.")
  String peerAddr;

  @Option(
      names = "--advertise-peer-addr",
      converter = HostPortConverter.class,
      paramLabel = "HOST:PORT",
      description =
          "The peer address other nodes should use to reach this one, when it differs from"
              + " --peer-addr (a 0.0.0.0 bind, NAT, a proxy). Default: --peer-addr.")
  String advertisePeerAddr;

  @Option(
      names = "--advertise-client-addr",
      converter = HostPortConverter.class,
      paramLabel = "HOST:PORT",
      description =
          "The client address listed for this node in the member list, when it differs from"
              + " --client-addr. Default: --client-addr.")
  String advertiseClientAddr;

  @Option(
      names = "--initial-cluster",
      split = ",",
      converter = HostPortConverter.class,
      description =
          "Peer addresses of all members, this node's included (first start only; ignored once"
              + " the node has an identity).")
  List<String> initialCluster = List.of();

  @Option(
      names = "--join",
      split = ",",
      converter = HostPortConverter.class,
      paramLabel = "PEER_ADDR",
      description =
          "Peer addresses of one or more members of a running cluster: this new node registers"
              + " there, gets the next node id and joins as a learner (first start only; ignored"
              + " once the node has an identity).")
  List<String> join = List.of();

  @Option(
      names = "--heartbeat-interval-ms",
      converter = LongConverters.Positive.class,
      defaultValue = "100",
      description = "Leader heartbeat interval. Default: ${DEFAULT-VALUE}.")
  long heartbeatIntervalMs;

  @Option(
      names = "--election-timeout-ms",
      converter = LongConverters.Positive.class,
      defaultValue = "1000",
      description = "Election timeout (randomized in [T, 2T)). Default: ${DEFAULT-VALUE}.")
  long electionTimeoutMs;

  @Option(
      names = "--restore-from",
      converter = ReadableFileConverter.class,
      paramLabel = "FILE",
      description =
          "First start only: seed this new node with the keys and revision of a backup file"
              + " (kvctl or etcdctl snapshot save). Give it to every node of the new cluster.")
  Path restoreFrom;

  @Option(
      names = "--snapshot-count",
      converter = LongConverters.NonNegative.class,
      defaultValue = "10000",
      description =
          "Take a snapshot after this many applied entries past the last one (0: never)."
              + " Default: ${DEFAULT-VALUE}.")
  long snapshotCount;

  @Option(
      names = "--snapshot-catchup-entries",
      converter = LongConverters.NonNegative.class,
      defaultValue = "5000",
      description =
          "Log entries kept below a snapshot for slightly lagging followers."
              + " Default: ${DEFAULT-VALUE}.")
  long snapshotCatchupEntries;

  @Option(
      names = "--quota-backend-bytes",
      converter = LongConverters.NonNegative.class,
      defaultValue = "0",
      description =
          "Raise the NOSPACE alarm (writes that add data are refused) once the database is"
              + " larger than this (0: etcd's default, 2 GiB).")
  long quotaBackendBytes;

  @Option(
      names = "--log-level",
      converter = LogLevelConverter.class,
      defaultValue = "INFO",
      description = "ERROR, WARN, INFO, DEBUG or TRACE. Default: ${DEFAULT-VALUE}.")
  String logLevel;

  public static void main(String[] args) {
    System.exit(ServerFlags.commandLine(new KvServer()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.toLevel(logLevel, Level.INFO));
    try {
      return run();
    } catch (StorageCorruptionException e) {
      log.error("cannot start: corrupt data: {}", e.getMessage());
      return EXIT_CORRUPT_DATA;
    } catch (DiskFailureException e) {
      log.error("cannot start: disk failure: {}", e.getMessage());
      return EXIT_DISK_FAILURE;
    } catch (Discovery.DiscoveryException | Registration.RegistrationException e) {
      log.error("cannot start: {}", e.getMessage());
      return 1;
    } catch (IOException e) {
      // The data directory or a file in it cannot be read or written; the cause names it.
      log.error(
          "cannot start: {}{}",
          e.getMessage(),
          e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")");
      return 1;
    }
  }

  private int run() throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<Object> fatal = new AtomicReference<>();
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: wake the main thread (also out of discovery) and let it close the
                  // storage before the JVM halts.
                  stop.countDown();
                  main.interrupt();
                  try {
                    stopped.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "kvserver-shutdown"));
    try {
      return serve(stop, fatal);
    } catch (InterruptedException e) {
      log.info("stopped during start-up");
      return 0;
    } finally {
      stopped.countDown();
    }
  }

  private int serve(CountDownLatch stop, AtomicReference<Object> fatal) throws Exception {
    if (restoreFrom == null) {
      try {
        BackupRestore.checkNotInterrupted(dataDir.resolve("db"));
      } catch (BackupRestore.InterruptedRestoreException e) {
        System.err.println("kvserver: cannot start: " + e.getMessage());
        return 2;
      }
    }
    if (restoreFrom != null) {
      int refused = restore();
      if (refused != 0) {
        return refused;
      }
    }
    RocksDbRaftStorage storage = RocksDbRaftStorage.open(dataDir.resolve("db"));
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
    byte[] storedIdentity = storage.readIdentity();
    SecureRandom random = new SecureRandom();
    long tempId = storage.bootstrapId(() -> random.nextLong() | 1); // never 0
    String dataFingerprint = BackupRestore.restoredFingerprint(storage);
    AtomicReference<Identity> identityRef =
        new AtomicReference<>(storedIdentity == null ? null : decodeIdentity(storedIdentity));
    AtomicReference<AppliedMembership> managerRef = new AtomicReference<>();
    PeerService peerService =
        new PeerService(
            request ->
                answerDiscover(
                    request, identityRef.get(), tempId, dataFingerprint, managerRef.get()));
    Server peerServer =
        NettyServerBuilder.forAddress(HostPort.parse(peerAddr).socketAddress())
            .addService(peerService)
            .maxInboundMessageSize(PeerTransport.MAX_PEER_MESSAGE_BYTES)
            .permitKeepAliveTime(5, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .build();
    try {
      peerServer.start();
    } catch (IOException e) {
      throw new ListenFailure("--peer-addr", peerAddr, e);
    }
    log.info("listening for peers addr={}", peerAddr);

    Identity identity = identityRef.get();
    if (identity != null && identity.removed()) {
      log.error(
          "cannot start: node {} was removed from cluster {}; this data directory cannot rejoin."
              + " To add this machine again, start it with an empty --data-dir and --join",
          identity.nodeId(),
          identity.clusterIdHex());
      peerServer.shutdownNow();
      return 2;
    }
    if (identity == null) {
      if (initialCluster.isEmpty() && join.isEmpty()) {
        log.error(
            "cannot start: a new node needs --initial-cluster (the peer addresses of all) or"
                + " --join (peer addresses of members of a running cluster)");
        peerServer.shutdownNow();
        return 2;
      }
      try {
        identity = newIdentity(tempId, dataFingerprint);
      } finally {
        if (identity == null) {
          peerServer.shutdownNow();
        }
      }
      storage.writeIdentity(identity.encode());
      identityRef.set(identity);
      log.info(
          "identity assigned node={} cluster={} members={}",
          identity.nodeId(),
          identity.clusterIdHex(),
          identity.initialMembership());
    } else {
      log.info("identity loaded node={} cluster={}", identity.nodeId(), identity.clusterIdHex());
      if (!join.isEmpty() || !initialCluster.isEmpty()) {
        log.info(
            "data dir already initialized as node {} of cluster {}: ignoring {}",
            identity.nodeId(),
            identity.clusterIdHex(),
            join.isEmpty() ? "--initial-cluster" : "--join");
      }
    }

    SnapshotDir snapshotDir = SnapshotDir.open(dataDir.resolve("snapshots"));
    // An install a crash interrupted is finished before anything reads the state.
    new SnapshotInstaller(storage, snapshotDir).recover();
    KvStore kv = new KvStore(storage.db(), storage.kvDataFamily(), storage.kvMetaFamily());
    RestoredState restored = storage.load();
    if (restored.snapshot() != null && kv.appliedIndex() < restored.snapshot().index()) {
      throw new StorageCorruptionException(
          "the state machine is at index "
              + kv.appliedIndex()
              + ", behind the snapshot at "
              + restored.snapshot().index()
              + " that the log starts after");
    }
    long applied =
        Math.max(
            restored.snapshot() == null ? 0 : restored.snapshot().index(),
            Math.min(kv.appliedIndex(), restored.hardState().commitIndex()));
    restored =
        new RestoredState(restored.hardState(), restored.snapshot(), restored.entries(), applied);
    int electionTicks = (int) (electionTimeoutMs / heartbeatIntervalMs);
    RaftConfig config =
        RaftConfig.builder(identity.nodeId())
            .ticks(electionTicks, 1)
            .maxInMemoryLogBytes(MAX_IN_MEMORY_LOG_BYTES)
            .build();
    ClusterConfig initialConfig = identity.initialMembership().config();
    RaftNode node =
        new RaftNode(
            config, initialConfig, restored, new Random(new SecureRandom().nextLong()), storage);
    kv.initConfig(new ConfigEntry(initialConfig, identity.initialMembership().encode()).encode());
    KvStore.AppliedConfig appliedConfig = kv.appliedConfig();
    Membership members =
        appliedConfig == null
            ? identity.initialMembership()
            : Membership.decode(ConfigEntry.decode(appliedConfig.entry()).context());
    PeerDirectory peers =
        new PeerDirectory(
            identity.nodeId(), advertisedPeerAddr(), identity.initialMembership().peerAddresses(0));
    for (Entry e : restored.entries()) {
      if (e.type() == EntryType.CONFIG) { // appended before the crash, maybe not applied yet
        Membership.decode(ConfigEntry.decode(e.data()).context())
            .peerAddresses(0)
            .forEach(peers::add);
      }
    }
    Identity self = identity;
    Consumer<String> onRemoved = why -> removed(self, storage, why, stop, fatal);
    PeerChannels channels = new PeerChannels();
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
                new KvSnapshots(kv, storage, snapshotDir, initialConfig),
                c -> managerRef.get().configApplied(c.index(), c.entry())),
            new SnapshotPolicy(snapshotCount, snapshotCatchupEntries),
            heartbeatIntervalMs,
            electionTicks,
            System::nanoTime,
            error -> {
              fatal.compareAndSet(null, error);
              stop.countDown();
            });
    AppliedMembership manager = new AppliedMembership(identity, members, peers, onRemoved);
    managerRef.set(manager);
    driver.onConfigAppended(manager::configAppended);
    storageSafeToClose = false; // from here on, only a clean stop closes it
    driver.start();
    manager.start();
    LeaderRoutes routes = LeaderRoutes.start(driver, manager, channels, electionTimeoutMs);
    PeerCheck.start(
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
              HostPort.parse(clientAddr).socketAddress(),
              identity,
              manager,
              routes,
              driver,
              kv,
              storage,
              dataDir,
              electionTimeoutMs,
              quotaBackendBytes);
    } catch (IOException e) {
      throw new ListenFailure("--client-addr", clientAddr, e);
    }
    peerService.attach(
        identity.nodeId(),
        identity.clusterId(),
        peers,
        driver,
        clientApi::acceptForwarded,
        routes.membershipChanges(),
        snapshotDir);
    log.info("serving clients addr={} node={}", clientAddr, identity.nodeId());

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
    boolean apiStopped = clientApi.stop();
    peerServer.shutdownNow();
    peerService.close();
    routes.close();
    // RocksDB must outlive every thread that may still touch it.
    storageSafeToClose = driver.close() && apiStopped;
    channels.close();
    return exitCode(reason);
  }

  private static int exitCode(Object stopReason) {
    if (stopReason == null || stopReason == REMOVED) {
      return 0;
    }
    if (stopReason instanceof DiskFailureException) {
      return EXIT_DISK_FAILURE;
    }
    return stopReason instanceof StorageCorruptionException ? EXIT_CORRUPT_DATA : 1;
  }

  private Identity decodeIdentity(byte[] stored) {
    try {
      return Identity.decode(stored);
    } catch (StorageCorruptionException e) {
      throw new StorageCorruptionException(
          e.getMessage() + " (raft_meta of " + dataDir.resolve("db") + ")", e);
    }
  }

  /** The stop reason of a node that learnt it was removed: it exits cleanly, for good. */
  private static final String REMOVED = "removed from the cluster";

  private static final long REGISTER_GIVE_UP_MS = 300_000;

  /**
   * Remembers (synced) that this node was removed, then stops it after two election timeouts (so
   * that answers in flight, like the one to the client that asked to remove this node while it led,
   * still go out); later starts refuse.
   */
  private void removed(
      Identity identity,
      RocksDbRaftStorage storage,
      String why,
      CountDownLatch stop,
      AtomicReference<Object> fatal) {
    synchronized (KvServer.class) {
      if (fatal.get() == REMOVED) {
        return;
      }
      log.warn(
          "this node was removed from the cluster node={} cluster={} reason=\"{}\"; stopping",
          identity.nodeId(),
          identity.clusterIdHex(),
          why);
      storage.writeIdentity(identity.markedRemoved().encode());
      fatal.compareAndSet(null, REMOVED);
      Thread delayed =
          new Thread(
              () -> {
                try {
                  Thread.sleep(2 * electionTimeoutMs);
                } catch (InterruptedException e) {
                  // stopping anyway
                }
                stop.countDown();
              },
              "removed-stop");
      delayed.setDaemon(true);
      delayed.start();
    }
  }

  /** Seeds the data directory from the backup; non-zero (an exit code) if it refuses. */
  private int restore() throws IOException {
    try {
      BackupRestore.restore(restoreFrom, dataDir.resolve("db"));
      return 0;
    } catch (BackupRestore.DataDirInUseException | BackupFormatException e) {
      System.err.println("kvserver: cannot restore: " + e.getMessage());
      return 2;
    } catch (java.nio.file.NoSuchFileException e) {
      System.err.println("kvserver: cannot restore: no such file " + e.getMessage());
      return 2;
    }
  }

  private DiscoverResponse answerDiscover(
      DiscoverRequest request,
      Identity identity,
      long tempId,
      String dataFingerprint,
      AppliedMembership manager) {
    DiscoverResponse.Builder b = DiscoverResponse.newBuilder().setDataFingerprint(dataFingerprint);
    if (identity == null) {
      b.setTempId(tempId).setPeerAddr(advertisedPeerAddr()).setClientAddr(advertisedClientAddr());
    } else {
      b.setTempId(identity.tempId())
          .setClusterId(identity.clusterId())
          .setPeerAddr(advertisedPeerAddr())
          .setClientAddr(advertisedClientAddr())
          .setRemoved(manager != null && manager.members().removed(request.getNodeId()));
    }
    return b.build();
  }

  /** A new node's identity: by registering with a running cluster, or by bootstrap discovery. */
  private Identity newIdentity(long tempId, String dataFingerprint) throws InterruptedException {
    if (!join.isEmpty()) {
      log.info("joining cluster join={} tempId={}", join, Long.toHexString(tempId));
      return new Registration(
              tempId, advertisedPeerAddr(), advertisedClientAddr(), join, REGISTER_GIVE_UP_MS)
          .run();
    }
    log.info(
        "discovering peers initialCluster={} tempId={}", initialCluster, Long.toHexString(tempId));
    return new Discovery(
            tempId, advertisedPeerAddr(), advertisedClientAddr(), initialCluster, dataFingerprint)
        .run();
  }

  private String advertisedPeerAddr() {
    return advertisePeerAddr == null ? peerAddr : advertisePeerAddr;
  }

  private String advertisedClientAddr() {
    return advertiseClientAddr == null ? clientAddr : advertiseClientAddr;
  }
}
