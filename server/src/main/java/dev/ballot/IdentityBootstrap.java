package dev.ballot;

import dev.ballot.maintenance.BackupRestore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Discovery;
import dev.ballot.membership.Identity;
import dev.ballot.membership.Membership;
import dev.ballot.membership.Registration;
import dev.ballot.proto.raft.v1.DiscoverRequest;
import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.storage.RocksDbRaftStorage;
import dev.ballot.storage.StorageCorruptionException;
import dev.ballot.transport.PeerChannels;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who this node is: on a restart the identity stored in the data directory; on a first start a new
 * one, by discovery among {@code --initial-cluster} or by registering with a running cluster
 * ({@code --join}). Meanwhile it answers the other nodes' Discover with what it knows.
 */
final class IdentityBootstrap {
  // The node's start-up lines keep the logger name operators know.
  private static final Logger log = LoggerFactory.getLogger(KvServer.class);

  private static final long REGISTER_GIVE_UP_MS = 300_000;

  private final ServerOptions options;
  private final PeerChannels peerChannels;
  private final RocksDbRaftStorage storage;
  private final long tempId;
  private final String dataFingerprint;
  private final AtomicReference<Identity> identityRef;

  private IdentityBootstrap(
      ServerOptions options,
      PeerChannels peerChannels,
      RocksDbRaftStorage storage,
      long tempId,
      String dataFingerprint,
      Identity storedIdentity) {
    this.options = options;
    this.peerChannels = peerChannels;
    this.storage = storage;
    this.tempId = tempId;
    this.dataFingerprint = dataFingerprint;
    this.identityRef = new AtomicReference<>(storedIdentity);
  }

  /** Reads the stored identity (if any), the temporary id and the data fingerprint. */
  static IdentityBootstrap load(
      ServerOptions options, PeerChannels peerChannels, RocksDbRaftStorage storage) {
    byte[] storedIdentity = storage.readIdentity();
    SecureRandom random = new SecureRandom();
    long tempId = storage.bootstrapId(() -> random.nextLong() | 1); // never 0
    String dataFingerprint = BackupRestore.restoredFingerprint(storage);
    return new IdentityBootstrap(
        options,
        peerChannels,
        storage,
        tempId,
        dataFingerprint,
        storedIdentity == null ? null : decodeIdentity(options, storedIdentity));
  }

  /**
   * The identity this node runs as: the stored one, or a new one (stored before it is returned).
   * Null if the node must not start (logged); {@code stopPeerServer} runs whenever no identity
   * comes out, also when discovery or registration throws.
   */
  Identity establish(Runnable stopPeerServer) throws InterruptedException {
    Identity identity = identityRef.get();
    if (identity != null && identity.removed()) {
      log.error(
          "cannot start: node {} was removed from cluster {}; this data directory cannot rejoin."
              + " To add this machine again, start it with an empty --data-dir and --join",
          identity.nodeId(),
          identity.clusterIdHex());
      stopPeerServer.run();
      return null;
    }
    if (identity == null) {
      if (options.initialCluster.isEmpty() && options.join.isEmpty()) {
        log.error(
            "cannot start: a new node needs --initial-cluster (the peer addresses of all) or"
                + " --join (peer addresses of members of a running cluster)");
        stopPeerServer.run();
        return null;
      }
      try {
        identity = newIdentity();
      } finally {
        if (identity == null) {
          stopPeerServer.run();
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
      String firstName =
          identity
              .initialMembership()
              .member(identity.nodeId())
              .map(Membership.Member::name)
              .orElse("");
      if (!options.name.isEmpty() && !options.name.equals(firstName)) {
        // The name is part of the replicated membership, set once at the first start.
        log.warn(
            "--name {} ignored: node {} keeps the name it was first started with ({})",
            options.name,
            identity.nodeId(),
            firstName.isEmpty() ? "none: node" + identity.nodeId() : firstName);
      }
      if (!options.join.isEmpty() || !options.initialCluster.isEmpty()) {
        log.info(
            "data dir already initialized as node {} of cluster {}: ignoring {}",
            identity.nodeId(),
            identity.clusterIdHex(),
            options.join.isEmpty() ? "--initial-cluster" : "--join");
      }
    }
    return identity;
  }

  /** This node's answer to Discover; {@code manager} is null until the node runs. */
  DiscoverResponse answerDiscover(DiscoverRequest request, AppliedMembership manager) {
    Identity identity = identityRef.get();
    DiscoverResponse.Builder b = DiscoverResponse.newBuilder().setDataFingerprint(dataFingerprint);
    if (identity == null) {
      b.setTempId(tempId)
          .setPeerAddr(options.advertisedPeerAddr())
          .setClientAddr(options.advertisedClientAddr())
          .setName(options.name);
    } else {
      b.setTempId(identity.tempId())
          .setClusterId(identity.clusterId())
          .setPeerAddr(options.advertisedPeerAddr())
          .setClientAddr(options.advertisedClientAddr())
          .setName(
              identity
                  .initialMembership()
                  .member(identity.nodeId())
                  .map(Membership.Member::name)
                  .orElse(""))
          .setRemoved(manager != null && manager.members().removed(request.getNodeId()));
    }
    return b.build();
  }

  /** A new node's identity: by registering with a running cluster, or by bootstrap discovery. */
  private Identity newIdentity() throws InterruptedException {
    if (!options.join.isEmpty()) {
      log.info("joining cluster join={} tempId={}", options.join, Long.toHexString(tempId));
      return new Registration(
              peerChannels,
              tempId,
              options.advertisedPeerAddr(),
              options.advertisedClientAddr(),
              options.name,
              options.join,
              REGISTER_GIVE_UP_MS)
          .run();
    }
    log.info(
        "discovering peers initialCluster={} tempId={}",
        options.initialCluster,
        Long.toHexString(tempId));
    return new Discovery(
            peerChannels,
            tempId,
            options.advertisedPeerAddr(),
            options.advertisedClientAddr(),
            options.initialCluster,
            dataFingerprint,
            options.name)
        .run();
  }

  private static Identity decodeIdentity(ServerOptions options, byte[] stored) {
    try {
      return Identity.decode(stored);
    } catch (StorageCorruptionException e) {
      throw new StorageCorruptionException(
          e.getMessage() + " (raft_meta of " + options.dataDir.resolve("db") + ")", e);
    }
  }
}
