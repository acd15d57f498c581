package dev.ballot.transport;

import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import dev.ballot.proto.raft.v1.ChangeMembershipResponse;
import dev.ballot.proto.raft.v1.DiscoverRequest;
import dev.ballot.proto.raft.v1.DiscoverResponse;
import dev.ballot.proto.raft.v1.ForwardAnswers;
import dev.ballot.proto.raft.v1.ForwardBatch;
import dev.ballot.proto.raft.v1.ForwardRequest;
import dev.ballot.proto.raft.v1.ForwardResponse;
import dev.ballot.proto.raft.v1.ForwardStreamRequest;
import dev.ballot.proto.raft.v1.ForwardStreamResponse;
import dev.ballot.proto.raft.v1.InstallSnapshotChunk;
import dev.ballot.proto.raft.v1.InstallSnapshotResponse;
import dev.ballot.proto.raft.v1.LeaderRefusal;
import dev.ballot.proto.raft.v1.RaftMessage;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.proto.raft.v1.RegisterRequest;
import dev.ballot.proto.raft.v1.RegisterResponse;
import dev.ballot.proto.raft.v1.SendSummary;
import dev.ballot.raft.Message;
import dev.ballot.storage.SnapshotDir;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The peer port: message streams from other nodes of this cluster, and discovery. Handlers run on
 * gRPC's network threads and only hand work to the driver's bounded inbox.
 */
public final class PeerService extends RaftPeerGrpc.RaftPeerImplBase {
  private static final Logger log = LoggerFactory.getLogger(PeerService.class);

  private final Function<DiscoverRequest, DiscoverResponse> discovery;
  private volatile Target target;

  /** Where messages go once this node has an identity. */
  private record Target(
      long nodeId,
      long clusterId,
      PeerDirectory peers,
      PeerInbox inbox,
      ForwardHandler forwards,
      MembershipHandler membership,
      SnapshotReceiver snapshots) {}

  /**
   * Takes joining nodes and membership changes forwarded to this node as the leader. A change
   * always completes normally (a refusal travels typed in the answer); a registration fails with
   * the status to answer.
   */
  public interface MembershipHandler {
    CompletableFuture<RegisterResponse> register(RegisterRequest request, long timeoutMs);

    CompletableFuture<ChangeMembershipResponse> change(
        ChangeMembershipRequest request, long timeoutMs);
  }

  /**
   * Takes writes that followers forward to this node as their leader; always completes normally (a
   * refusal travels typed in the answer).
   */
  @FunctionalInterface
  public interface ForwardHandler {
    CompletableFuture<ForwardResponse> forward(byte[] command, long timeoutMs);
  }

  /** A forwarded request may take this long at most when its caller set no deadline. */
  private static final long MAX_FORWARDED_MS = 60_000;

  public PeerService(Function<DiscoverRequest, DiscoverResponse> discovery) {
    this.discovery = discovery;
  }

  /**
   * Starts accepting Raft messages and snapshots (staged in {@code snapshots}); until then streams
   * are refused as unavailable.
   */
  public void attach(
      long nodeId,
      long clusterId,
      PeerDirectory peers,
      PeerInbox inbox,
      ForwardHandler forwards,
      MembershipHandler membership,
      SnapshotDir snapshots) {
    target =
        new Target(
            nodeId,
            clusterId,
            peers,
            inbox,
            forwards,
            membership,
            new SnapshotReceiver(nodeId, clusterId, peers, snapshots, inbox));
  }

  /** Stops receiving snapshots. */
  public void close() {
    Target t = target;
    if (t != null) {
      t.snapshots().close();
    }
  }

  @Override
  public StreamObserver<InstallSnapshotChunk> installSnapshot(
      StreamObserver<InstallSnapshotResponse> response) {
    Target t = target;
    if (t == null) {
      response.onError(
          Status.UNAVAILABLE.withDescription("node is still starting").asRuntimeException());
      return new SnapshotReceiver.Ignore();
    }
    return t.snapshots().receive(response);
  }

  @Override
  public void forward(ForwardRequest request, StreamObserver<ForwardResponse> response) {
    answer(response, forwardOne(request, timeoutMs()));
  }

  /** Many forwarded writes over one stream, each carried out as {@link #forward} does. */
  @Override
  public StreamObserver<ForwardStreamRequest> forwardStream(
      StreamObserver<ForwardStreamResponse> response) {
    return new ForwardStreamHandler(this::forwardOnStream, response);
  }

  /** As {@link #forwardStream}, with the writes and answers of a turn in one message each. */
  @Override
  public StreamObserver<ForwardBatch> forwardBatches(StreamObserver<ForwardAnswers> response) {
    return ForwardStreamHandler.batches(this::forwardOnStream, response);
  }

  private CompletableFuture<ForwardResponse> forwardOnStream(
      ForwardRequest request, long timeoutMs) {
    return forwardOne(
        request, timeoutMs <= 0 ? MAX_FORWARDED_MS : Math.min(MAX_FORWARDED_MS, timeoutMs));
  }

  /** One forwarded write; fails with the status to answer (another cluster). */
  private CompletableFuture<ForwardResponse> forwardOne(ForwardRequest request, long timeoutMs) {
    Target t = target;
    if (t == null) {
      return CompletableFuture.completedFuture(STARTING_FORWARD);
    }
    if (request.getClusterId() != t.clusterId()) {
      return CompletableFuture.failedFuture(clusterMismatch(t));
    }
    return t.forwards().forward(request.getCommand().toByteArray(), timeoutMs);
  }

  /** A node still starting knows no leader: the follower asks again (nothing was done). */
  private static final LeaderRefusal STARTING =
      LeaderRefusal.newBuilder().setKind(LeaderRefusal.Kind.NO_LEADER).build();

  private static final ForwardResponse STARTING_FORWARD =
      ForwardResponse.newBuilder().setRefusal(STARTING).build();
  private static final ChangeMembershipResponse STARTING_CHANGE =
      ChangeMembershipResponse.newBuilder().setRefusal(STARTING).build();

  /** The caller's deadline, or a bound if it set none. */
  private static long timeoutMs() {
    Deadline deadline = Context.current().getDeadline();
    return deadline == null
        ? MAX_FORWARDED_MS
        : Math.max(1, Math.min(MAX_FORWARDED_MS, deadline.timeRemaining(TimeUnit.MILLISECONDS)));
  }

  private static <T> void answer(StreamObserver<T> response, CompletableFuture<T> answer) {
    answer.whenComplete(
        (value, error) -> {
          try {
            if (error == null) {
              response.onNext(value);
              response.onCompleted();
            } else {
              Throwable cause = Failures.cause(error);
              response.onError(
                  cause instanceof StatusRuntimeException s
                      ? s
                      : Status.fromThrowable(cause).asRuntimeException());
            }
          } catch (StatusRuntimeException e) {
            log.debug("peer answer not delivered status={}", e.getStatus()); // caller left
          }
        });
  }

  private static StatusRuntimeException clusterMismatch(Target t) {
    return Status.FAILED_PRECONDITION
        .withDescription(
            "cluster id mismatch: this node belongs to cluster " + Long.toHexString(t.clusterId()))
        .asRuntimeException();
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    Target t = target;
    if (t == null) {
      response.onError(
          Status.UNAVAILABLE.withDescription("node is still starting").asRuntimeException());
    } else {
      answer(response, t.membership().register(request, timeoutMs()));
    }
  }

  @Override
  public void changeMembership(
      ChangeMembershipRequest request, StreamObserver<ChangeMembershipResponse> response) {
    Target t = target;
    if (t == null) {
      answer(response, CompletableFuture.completedFuture(STARTING_CHANGE));
    } else if (request.getClusterId() != t.clusterId()) {
      response.onError(clusterMismatch(t));
    } else {
      answer(response, t.membership().change(request, timeoutMs()));
    }
  }

  @Override
  public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> response) {
    response.onNext(discovery.apply(request));
    response.onCompleted();
  }

  @Override
  public StreamObserver<RaftMessage> send(StreamObserver<SendSummary> response) {
    return new StreamObserver<>() {
      private long received;
      private boolean closed;

      @Override
      public void onNext(RaftMessage wire) {
        if (closed) {
          return;
        }
        Target t = target;
        if (t == null) {
          refuse(Status.UNAVAILABLE.withDescription("node is still starting"));
          return;
        }
        if (wire.getClusterId() != t.clusterId()) {
          log.error(
              "refusing peer of another cluster localCluster={} peerCluster={}",
              Long.toHexString(t.clusterId()),
              Long.toHexString(wire.getClusterId()));
          refuse(
              Status.FAILED_PRECONDITION.withDescription(
                  "cluster id mismatch: this node belongs to cluster "
                      + Long.toHexString(t.clusterId())
                      + ", the sender to "
                      + Long.toHexString(wire.getClusterId())));
          return;
        }
        Message message;
        try {
          message = MessageCodec.decode(wire);
        } catch (IllegalArgumentException e) {
          refuse(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
          return;
        }
        if (!t.peers().isPeer(message.from()) && t.peers().isRemoved(message.from())) {
          refuse(
              Status.FAILED_PRECONDITION.withDescription(t.peers().removedMessage(message.from())));
          return;
        }
        if (!t.peers().isPeer(message.from()) && !wire.getSenderPeerAddr().isEmpty()) {
          // Same cluster, not removed, but not in our configuration: a member added while we
          // were away (or lagging). Learn where it is so that we can answer and catch up.
          log.info(
              "accepting a member this node does not know yet peer={} addr={}",
              message.from(),
              wire.getSenderPeerAddr());
          t.peers().add(message.from(), wire.getSenderPeerAddr());
        }
        if (!t.peers().isPeer(message.from())) {
          refuse(
              Status.FAILED_PRECONDITION.withDescription(
                  "node " + message.from() + " is not a peer of node " + t.nodeId()));
          return;
        }
        if (message.to() != t.nodeId()) {
          refuse(
              Status.FAILED_PRECONDITION.withDescription(
                  "message for node " + message.to() + " reached node " + t.nodeId()));
          return;
        }
        received++;
        if (message instanceof Message.InstallSnapshot) {
          // Its data comes over RaftPeer.InstallSnapshot; the message alone installs nothing.
          return;
        }
        t.inbox().receive(message);
      }

      private void refuse(Status status) {
        closed = true;
        response.onError(status.asRuntimeException());
      }

      @Override
      public void onError(Throwable t) {
        closed = true;
      }

      @Override
      public void onCompleted() {
        if (!closed) {
          closed = true;
          response.onNext(SendSummary.newBuilder().setReceived(received).build());
          response.onCompleted();
        }
      }
    };
  }
}
