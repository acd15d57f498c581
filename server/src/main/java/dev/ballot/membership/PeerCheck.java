package dev.ballot.membership;

import dev.ballot.proto.raft.v1.DiscoverRequest;
import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.transport.PeerChannels;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On restart, asks each member once (retrying while it is down) which cluster it belongs to. A
 * member that answers with another cluster id means this node's data belongs elsewhere (a reused
 * data directory, a wrong address): the node refuses to run with it.
 */
public final class PeerCheck implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(PeerCheck.class);
  private static final long RETRY_INTERVAL_MS = 1_000;
  private static final int MAX_ATTEMPTS = 300;

  private final PeerChannels peerChannels;
  private final Identity identity;
  private final Membership members;
  private final Consumer<String> onMismatch;
  private final Consumer<String> onRemoved;

  private PeerCheck(
      PeerChannels peerChannels,
      Identity identity,
      Membership members,
      Consumer<String> onMismatch,
      Consumer<String> onRemoved) {
    this.peerChannels = peerChannels;
    this.identity = identity;
    this.members = members;
    this.onMismatch = onMismatch;
    this.onRemoved = onRemoved;
  }

  /**
   * Checks in the background; {@code onMismatch} gets the error if a member disagrees, {@code
   * onRemoved} if a member says this node was removed from the cluster.
   */
  public static void start(
      PeerChannels peerChannels,
      Identity identity,
      Membership members,
      Consumer<String> onMismatch,
      Consumer<String> onRemoved) {
    Thread t =
        new Thread(
            new PeerCheck(peerChannels, identity, members, onMismatch, onRemoved), "peer-check");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    Map<Long, String> unchecked = new TreeMap<>(members.peerAddresses(identity.nodeId()));
    Membership.Member self =
        members
            .member(identity.nodeId())
            .orElseGet(() -> identity.initialMembership().member(identity.nodeId()).orElseThrow());
    DiscoverRequest request =
        DiscoverRequest.newBuilder()
            .setTempId(identity.tempId())
            .setPeerAddr(self.peerAddr())
            .setClientAddr(self.clientAddr())
            .setNodeId(identity.nodeId())
            .build();
    for (int attempt = 0; attempt < MAX_ATTEMPTS && !unchecked.isEmpty(); attempt++) {
      for (var it = unchecked.entrySet().iterator(); it.hasNext(); ) {
        var member = it.next();
        ManagedChannel channel = peerChannels.shortLived(member.getValue());
        try {
          DiscoverResponse answer =
              RaftPeerGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(1, TimeUnit.SECONDS)
                  .discover(request);
          it.remove();
          if (answer.getRemoved() && answer.getClusterId() == identity.clusterId()) {
            onRemoved.accept(
                "member " + member.getKey() + " at " + member.getValue() + " says it was removed");
            return;
          }
          if (answer.getClusterId() != 0 && answer.getClusterId() != identity.clusterId()) {
            String error =
                "member "
                    + member.getKey()
                    + " at "
                    + member.getValue()
                    + " belongs to cluster "
                    + Long.toHexString(answer.getClusterId())
                    + " but this node's data belongs to cluster "
                    + identity.clusterIdHex()
                    + "; refusing to join it (wrong --data-dir or address?)";
            log.error("cluster id mismatch: {}", error);
            onMismatch.accept(error);
            return;
          }
        } catch (StatusRuntimeException e) {
          log.debug("peer check retry member={} status={}", member.getKey(), e.getStatus());
        } finally {
          channel.shutdownNow();
        }
      }
      if (!unchecked.isEmpty()) {
        try {
          Thread.sleep(RETRY_INTERVAL_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
