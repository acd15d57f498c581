package dev.ballot.transport;

import dev.ballot.proto.raft.v1.InstallSnapshotChunk;
import dev.ballot.proto.raft.v1.InstallSnapshotResponse;
import dev.ballot.proto.raft.v1.RaftPeerGrpc;
import dev.ballot.raft.Message;
import dev.ballot.storage.CrashPoints;
import dev.ballot.storage.SnapshotDir;
import dev.ballot.storage.SnapshotReader;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the newest local snapshot to followers over {@code RaftPeer.InstallSnapshot}, on at most
 * {@link #MAX_CONCURRENT_SENDS} threads of its own (one stream per peer at a time), so a leader
 * keeps serving while it sends. Flow-controlled: a chunk is produced only when the stream is ready,
 * so at most about one chunk per stream is in memory. A failure is reported to the inbox, and the
 * core retries.
 */
final class SnapshotSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);
  static final int MAX_CONCURRENT_SENDS = 2;

  /** A stream that is not ready for this long is given up. */
  private static final long STALL_TIMEOUT_MS = 30_000;

  private final PeerChannels channels;
  private final long clusterId;
  private final PeerDirectory peers;
  private final SnapshotDir snapshots;
  private final PeerInbox inbox;
  private final Set<Long> sending = ConcurrentHashMap.newKeySet();
  private final ThreadPoolExecutor executor;

  SnapshotSender(
      PeerChannels channels,
      long clusterId,
      PeerDirectory peers,
      SnapshotDir snapshots,
      PeerInbox inbox) {
    this.channels = channels;
    this.clusterId = clusterId;
    this.peers = peers;
    this.snapshots = snapshots;
    this.inbox = inbox;
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            MAX_CONCURRENT_SENDS,
            MAX_CONCURRENT_SENDS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "snapshot-send-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.allowCoreThreadTimeOut(true);
  }

  /** Starts streaming to {@code request.to()} unless a stream to it is under way. */
  void send(Message.InstallSnapshot request) {
    long peer = request.to();
    if (!sending.add(peer)) {
      return; // the running stream answers, or fails and is reported
    }
    try {
      executor.execute(
          () -> {
            try {
              stream(request);
            } catch (Exception e) {
              log.warn("snapshot send failed peer={} error={}", peer, e.toString());
              inbox.snapshotSendFailed(peer);
            } finally {
              sending.remove(peer);
            }
          });
    } catch (RejectedExecutionException e) {
      sending.remove(peer);
      log.info("snapshot send deferred, {} under way peer={}", MAX_CONCURRENT_SENDS, peer);
      inbox.snapshotSendFailed(peer);
    }
  }

  private void stream(Message.InstallSnapshot request) throws Exception {
    SnapshotDir.Local local =
        snapshots
            .acquireNewest()
            .orElseThrow(() -> new IllegalStateException("no local snapshot to send"));
    String address = peers.address(request.to());
    if (address == null) {
      throw new IllegalStateException("node " + request.to() + " is no longer a peer");
    }
    ManagedChannel channel = channels.shortLived(address);
    try (SnapshotReader reader = new SnapshotReader(local.path())) {
      if (local.index() < request.snapshot().index()) {
        throw new IllegalStateException(
            "newest local snapshot " + local.index() + " is older than " + request.snapshot());
      }
      log.info("snapshot send started peer={} index={}", request.to(), local.index());
      Call call = new Call();
      RaftPeerGrpc.newStub(channel).installSnapshot(call);
      SnapshotChunks.Encoder encoder =
          new SnapshotChunks.Encoder(
              clusterId, request.from(), request.to(), request.term(), local.info());
      byte[] data = reader.next(SnapshotChunks.MAX_CHUNK_BYTES);
      long bytes = 0;
      while (true) {
        byte[] next = data == null ? null : reader.next(SnapshotChunks.MAX_CHUNK_BYTES);
        byte[] piece = data == null ? new byte[0] : data;
        call.awaitReady();
        call.stream.onNext(encoder.next(piece, next == null));
        bytes += piece.length;
        if (next == null) {
          break;
        }
        CrashPoints.hit(CrashPoints.SEND_MID_STREAM);
        data = next;
      }
      call.stream.onCompleted();
      InstallSnapshotResponse response = call.result.get(STALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      log.info(
          "snapshot sent peer={} index={} bytes={} followerIndex={}",
          request.to(),
          local.index(),
          bytes,
          response.getMatchIndex());
      inbox.snapshotSent(request.to());
    } finally {
      channel.shutdownNow();
      snapshots.release(local);
    }
  }

  /** One client stream, with its readiness signalled by gRPC's on-ready handler. */
  private static final class Call
      implements ClientResponseObserver<InstallSnapshotChunk, InstallSnapshotResponse> {
    final CompletableFuture<InstallSnapshotResponse> result = new CompletableFuture<>();
    ClientCallStreamObserver<InstallSnapshotChunk> stream;

    @Override
    public void beforeStart(ClientCallStreamObserver<InstallSnapshotChunk> requestStream) {
      stream = requestStream;
      requestStream.setOnReadyHandler(this::wake);
    }

    private synchronized void wake() {
      notifyAll();
    }

    synchronized void awaitReady() throws Exception {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_TIMEOUT_MS);
      while (!stream.isReady()) {
        if (result.isDone()) {
          result.get(); // throws the stream's failure
          throw new IllegalStateException("stream ended early");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          stream.cancel("snapshot stream stalled", null);
          throw new IllegalStateException("snapshot stream stalled");
        }
        wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
      }
    }

    @Override
    public void onNext(InstallSnapshotResponse value) {
      result.complete(value);
    }

    @Override
    public synchronized void onError(Throwable t) {
      result.completeExceptionally(t);
      notifyAll();
    }

    @Override
    public void onCompleted() {
      result.completeExceptionally(new IllegalStateException("no answer to the snapshot"));
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
