package dev.ballot;

import dev.ballot.flags.DataDirConverter;
import dev.ballot.flags.HostPortConverter;
import dev.ballot.flags.LogFormatConverter;
import dev.ballot.flags.LogLevelConverter;
import dev.ballot.flags.LongConverters;
import dev.ballot.flags.ReadableFileConverter;
import dev.ballot.flags.SourceAddressConverter;
import dev.ballot.logging.LogFormat;
import dev.ballot.transport.NetworkThreads;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The flags of {@code kvserver}, as parsed; each value is checked by its converter and the rules
 * between flags by {@link dev.ballot.flags.ServerFlags}.
 */
final class ServerOptions {
  @Option(
      names = "--data-dir",
      required = true,
      converter = DataDirConverter.class,
      description = "Where this node keeps its data.")
  Path dataDir;

  @Option(
      names = "--name",
      converter = dev.ballot.flags.NameConverter.class,
      description =
          "A human-readable name for this member, shown by member lists, kvctl status and the"
              + " dashboard (letters, digits, '.', '_', '-'; at most 63). Set at the first start;"
              + " without it the member is called node<ID> after its member id.")
  String name = "";

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
      names = "--http-addr",
      converter = HostPortConverter.class,
      paramLabel = "HOST:PORT",
      description =
          "host:port for HTTP: the JSON API (/v1/kv, /v1/txn, /v1/status, /v1/members), /health,"
              + " /readyz, /livez, Prometheus /metrics and the dashboard at /. Default: off.")
  String httpAddr;

  @Option(
      names = "--advertise-peer-addr",
      converter = HostPortConverter.class,
      paramLabel = "HOST:PORT",
      description =
          "The peer address other nodes should use to reach this one, when it differs from"
              + " --peer-addr (a 0.0.0.0 bind, NAT, a proxy). Default: --peer-addr.")
  String advertisePeerAddr;

  @Option(
      names = "--peer-source-addr",
      converter = SourceAddressConverter.class,
      paramLabel = "IP",
      description =
          "The local address this node's connections to other nodes leave from, on a host with"
              + " several: peers and firewalls then see one source address. Must be an address"
              + " of this host. Default: chosen by the operating system.")
  InetAddress peerSourceAddr;

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
      defaultValue = "50",
      description = "Leader heartbeat interval. Default: ${DEFAULT-VALUE}.")
  long heartbeatIntervalMs;

  @Option(
      names = "--election-timeout-ms",
      converter = LongConverters.Positive.class,
      defaultValue = "500",
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
      names = "--auto-compaction-mode",
      defaultValue = "periodic",
      description =
          "periodic: keep the history of the last --auto-compaction-retention of time;"
              + " revision: keep that many revisions. Default: ${DEFAULT-VALUE}.")
  String autoCompactionMode;

  @Option(
      names = "--auto-compaction-retention",
      defaultValue = "0",
      description =
          "History to keep: a duration (1h, 30m, 90s; a bare number is hours) in periodic mode,"
              + " a number of revisions in revision mode. 0 keeps all history (etcd's default);"
              + " compact it yourself then (kvctl compact, etcdctl compaction).")
  String autoCompactionRetention;

  @Option(
      names = "--experimental-watch-progress-notify-interval",
      converter = dev.ballot.flags.DurationConverter.class,
      defaultValue = "10m",
      description =
          "How often a watch that asked for progress notifications hears the revision reached"
              + " while no events come. Default: ${DEFAULT-VALUE}.")
  java.time.Duration watchProgressNotifyInterval;

  @Option(
      names = "--network-threads",
      paramLabel = "N",
      converter = NetworkThreads.Converter.class,
      defaultValue = "0",
      description =
          "Threads for the network I/O of the client and peer ports (gRPC's event loops), shared"
              + " by every connection; 0: half the processors, at least 1. Fewer threads than"
              + " gRPC's default (twice the processors) waste less on waking each other when"
              + " nodes share cores. Default: ${DEFAULT-VALUE}.")
  int networkThreads;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL[,LOGGER=LEVEL...]",
      converter = LogLevelConverter.class,
      defaultValue = "INFO",
      description =
          "The root level (ERROR, WARN, INFO, DEBUG, TRACE or OFF), then optionally"
              + " logger=LEVEL pairs for a package or class and what is below it, e.g."
              + " INFO,dev.ballot.raft=DEBUG,io.grpc=WARN. RocksDB logs as org.rocksdb (WARN"
              + " unless set here). Default: ${DEFAULT-VALUE}.")
  String logLevel;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      converter = LogFormatConverter.class,
      defaultValue = "text",
      description =
          "How the log on stdout is written, one line per event: text (key=value fields) or"
              + " json (one JSON object per line). Default: ${DEFAULT-VALUE}.")
  LogFormat logFormat;

  /** The peer address other nodes use to reach this one. */
  String advertisedPeerAddr() {
    return advertisePeerAddr == null ? peerAddr : advertisePeerAddr;
  }

  /** The client address listed for this node in the member list. */
  String advertisedClientAddr() {
    return advertiseClientAddr == null ? clientAddr : advertiseClientAddr;
  }
}
