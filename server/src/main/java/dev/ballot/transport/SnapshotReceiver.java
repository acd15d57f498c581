package dev.ballot.transport;

import dev.ballot.proto.raft.v1.InstallSnapshotChunk;
import dev.ballot.proto.raft.v1.InstallSnapshotResponse;
import dev.ballot.raft.Message;
import dev.ballot.storage.CrashPoints;
import dev.ballot.storage.SnapshotDir;
import dev.ballot.storage.SnapshotInfo;
import dev.ballot.storage.SnapshotStager;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follower's half of InstallSnapshot: writes the chunks of a stream to a staging folder on its
 * own thread (never a network thread), asking gRPC for one chunk at a time, verifies every checksum
 * and the total, stages the result as SST files, and only then hands {@code InstallSnapshot} to the
 * driver. A stream that fails midway leaves nothing behind; the leader retries.
 */
final class SnapshotReceiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotReceiver.class);
  static final int MAX_CONCURRENT_RECEIVES = 2;

  private final long nodeId;
  private final long clusterId;
  private final PeerDirectory peers;
  private final SnapshotDir snapshots;
  private final PeerInbox inbox;
  private final AtomicInteger active = new AtomicInteger();

  /** One chunk per stream is outstanding (request(1)), so the queue never holds more than that. */
  private final ThreadPoolExecutor executor =
      new ThreadPoolExecutor(
          1,
          1,
          30,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(4 * MAX_CONCURRENT_RECEIVES),
          r -> {
            Thread t = new Thread(r, "snapshot-receive");
            t.setDaemon(true);
            return t;
          });

  SnapshotReceiver(
      long nodeId, long clusterId, PeerDirectory peers, SnapshotDir snapshots, PeerInbox inbox) {
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.peers = peers;
    this.snapshots = snapshots;
    this.inbox = inbox;
    executor.allowCoreThreadTimeOut(true);
  }

  StreamObserver<InstallSnapshotChunk> receive(StreamObserver<InstallSnapshotResponse> response) {
    ServerCallStreamObserver<InstallSnapshotResponse> call =
        (ServerCallStreamObserver<InstallSnapshotResponse>) response;
    call.disableAutoRequest();
    if (active.incrementAndGet() > MAX_CONCURRENT_RECEIVES) {
      active.decrementAndGet();
      response.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription("too many snapshot transfers")
              .asRuntimeException());
      return new Ignore();
    }
    Session session = new Session(response);
    call.request(1);
    return new StreamObserver<>() {
      @Override
      public void onNext(InstallSnapshotChunk chunk) {
        executor.execute(() -> session.accept(chunk, call));
      }

      @Override
      public void onError(Throwable t) {
        executor.execute(() -> session.fail(null));
      }

      @Override
      public void onCompleted() {
        executor.execute(() -> session.fail(Status.INVALID_ARGUMENT.withDescription("no last")));
      }
    };
  }

  /** One incoming stream; touched only by the receive thread. */
  private final class Session {
    private final StreamObserver<InstallSnapshotResponse> response;
    private final SnapshotChunks.Decoder decoder = new SnapshotChunks.Decoder();
    private SnapshotStager stager;
    private boolean ended;

    Session(StreamObserver<InstallSnapshotResponse> response) {
      this.response = response;
    }

    void accept(InstallSnapshotChunk chunk, ServerCallStreamObserver<?> call) {
      if (ended) {
        return;
      }
      try {
        byte[] data = decoder.accept(chunk);
        if (stager == null) {
          checkSender(chunk);
          stager = new SnapshotStager(snapshots, chunk.getMetadata().getIndex());
        }
        stager.append(data);
        if (!decoder.done()) {
          CrashPoints.hit(CrashPoints.RECEIVE_MID_STREAM);
          call.request(1);
          return;
        }
        SnapshotInfo info = decoder.info();
        stager.finish(info);
        CrashPoints.hit(CrashPoints.RECEIVE_STAGED);
        end();
        log.info(
            "snapshot received from={} index={} term={} bytes={}",
            chunk.getFrom(),
            info.meta().index(),
            info.meta().term(),
            decoder.bytes());
        inbox.receive(
            new Message.InstallSnapshot(
                decoder.header().getFrom(), nodeId, decoder.header().getTerm(), info.meta()));
        response.onNext(
            InstallSnapshotResponse.newBuilder()
                .setFrom(nodeId)
                .setTo(chunk.getFrom())
                .setMatchIndex(info.meta().index())
                .build());
        response.onCompleted();
      } catch (SnapshotChunks.BadStreamException e) {
        log.warn("snapshot stream refused error=\"{}\"", e.getMessage());
        fail(Status.DATA_LOSS.withDescription(e.getMessage()));
      } catch (Exception e) {
        log.warn("snapshot receive failed error={}", e.toString());
        fail(Status.INTERNAL.withDescription(e.toString()));
      }
    }

    private void checkSender(InstallSnapshotChunk chunk) throws SnapshotChunks.BadStreamException {
      if (chunk.getClusterId() != clusterId) {
        throw new SnapshotChunks.BadStreamException(
            "snapshot from cluster " + Long.toHexString(chunk.getClusterId()));
      }
      if (!peers.isPeer(chunk.getFrom()) || chunk.getFrom() == nodeId || chunk.getTo() != nodeId) {
        throw new SnapshotChunks.BadStreamException(
            "snapshot from " + chunk.getFrom() + " to " + chunk.getTo() + " reached " + nodeId);
      }
    }

    /** Abandons the transfer; {@code status} null when the sender went away. */
    void fail(Status status) {
      if (ended) {
        return;
      }
      end();
      if (status != null) {
        response.onError(status.asRuntimeException());
      }
    }

    private void end() {
      ended = true;
      if (stager != null) {
        stager.abort(); // nothing once finished
      }
      active.decrementAndGet();
    }
  }

  /** Takes the chunks of a refused stream and drops them. */
  static final class Ignore implements StreamObserver<InstallSnapshotChunk> {
    @Override
    public void onNext(InstallSnapshotChunk value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
