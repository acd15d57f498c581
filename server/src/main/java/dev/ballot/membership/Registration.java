package dev.ballot.membership;

import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.proto.raft.v1.RegisterRequest;
import dev.ballot.proto.raft.v1.RegisterResponse;
import dev.ballot.transport.PeerChannels;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new node joining a running cluster: sends {@code Register} to the members it was given ({@code
 * --join}), follows a follower's redirect to the leader, and returns the identity the leader
 * assigned once the configuration entry that adds it as a learner is committed. A retry carries the
 * same temporary id, so the leader hands out the same node id again.
 */
public final class Registration {
  private static final Logger log = LoggerFactory.getLogger(Registration.class);
  private static final long CALL_TIMEOUT_MS = 15_000;
  private static final long RETRY_INTERVAL_MS = 1_000;
  private static final int MAX_REDIRECTS = 3;

  private final long tempId;
  private final PeerChannels peerChannels;
  private final String peerAddr;
  private final String clientAddr;
  private final List<String> join;
  private final long giveUpAfterMs;
  private final String name;

  public Registration(
      PeerChannels peerChannels,
      long tempId,
      String peerAddr,
      String clientAddr,
      String name,
      List<String> join,
      long giveUpAfterMs) {
    this.peerChannels = peerChannels;
    this.name = name;
    this.tempId = tempId;
    this.peerAddr = peerAddr;
    this.clientAddr = clientAddr;
    this.join = List.copyOf(join);
    this.giveUpAfterMs = giveUpAfterMs;
  }

  /** Registers; retries until a leader answers or the time is up. */
  public Identity run() throws InterruptedException {
    RegisterRequest request =
        RegisterRequest.newBuilder()
            .setTempId(tempId)
            .setPeerAddr(peerAddr)
            .setClientAddr(clientAddr)
            .setName(name)
            .build();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(giveUpAfterMs);
    String lastError = "no member answered";
    while (System.nanoTime() < deadline) {
      for (String first : join) {
        Deque<String> targets = new ArrayDeque<>(List.of(first));
        for (int hop = 0; hop <= MAX_REDIRECTS && !targets.isEmpty(); hop++) {
          String target = targets.poll();
          try {
            RegisterResponse answer = call(target, request);
            if (!answer.getLeaderPeerAddr().isEmpty()) {
              log.info(
                  "registration redirected from={} leader={}", target, answer.getLeaderPeerAddr());
              targets.add(answer.getLeaderPeerAddr());
              continue;
            }
            Membership members = Membership.fromProto(answer.getMembership());
            return new Identity(answer.getNodeId(), answer.getClusterId(), tempId, members, false);
          } catch (StatusRuntimeException e) {
            lastError =
                target + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
            String why = String.valueOf(e.getStatus().getDescription());
            if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
                || why.contains("Peer URLs already exists")
                || why.contains("cluster id mismatch")) {
              throw new RegistrationException("the cluster refuses this node: " + lastError);
            }
            log.info("registration attempt failed {}", lastError);
          }
        }
      }
      Thread.sleep(RETRY_INTERVAL_MS);
    }
    throw new RegistrationException(
        "could not register with " + join + " within " + giveUpAfterMs + " ms: " + lastError);
  }

  private RegisterResponse call(String target, RegisterRequest request) {
    ManagedChannel channel = peerChannels.shortLived(target);
    try {
      return RaftPeerGrpc.newBlockingStub(channel)
          .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .register(request);
    } finally {
      channel.shutdownNow();
    }
  }

  /** The node cannot join: the cluster refused it or never answered. */
  public static final class RegistrationException extends RuntimeException {
    public RegistrationException(String message) {
      super(message);
    }
  }
}
