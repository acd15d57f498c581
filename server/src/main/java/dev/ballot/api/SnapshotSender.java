package dev.ballot.api;

import com.google.protobuf.ByteString;
import dev.ballot.backup.BackupFormat;
import dev.ballot.etcd.api.SnapshotResponse;
import dev.ballot.kv.KvStore;
import dev.ballot.maintenance.CheckpointBackup;
import dev.ballot.maintenance.WorkDirs;
import dev.ballot.node.EtcdStatus;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves etcd's {@code Maintenance.Snapshot}: builds a backup file from a checkpoint ({@link
 * CheckpointBackup}) and streams it as etcd streams its database: chunks of the file's body with
 * {@code remaining_bytes} counting the body bytes still to come, then one last message holding the
 * 32-byte SHA-256 trailer. Concatenated, the blobs are the backup file.
 *
 * <p>All work runs on one named thread, never on a gRPC thread. A transfer sends while the call is
 * ready and returns when it is not; gRPC's on-ready callback schedules it again, so a slow reader
 * holds at most about one chunk in memory and never holds the thread.
 */
final class SnapshotSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);

  static final int CHUNK_BYTES = 1024 * 1024;

  /** Transfers at once; more are refused with "too many requests". */
  static final int MAX_TRANSFERS = 2;

  private static final long STOP_WAIT_SECONDS = 20;

  private final KvStore kv;
  private final RocksDB db;
  private final long clusterId;
  private final Headers headers;
  private final Path workRoot;
  private final ThreadPoolExecutor thread;
  private final AtomicInteger activeTransfers = new AtomicInteger();
  private final AtomicLong transferIds = new AtomicLong();

  SnapshotSender(
      KvStore kv, RocksDB db, long nodeId, long clusterId, Headers headers, Path workRoot)
      throws IOException {
    this.kv = kv;
    this.db = db;
    this.clusterId = clusterId;
    this.headers = headers;
    this.workRoot = workRoot;
    // Each transfer has at most one task queued: its start, or its next round of sending.
    this.thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(MAX_TRANSFERS),
            r -> new Thread(r, "snapshot-sender-" + nodeId),
            new ThreadPoolExecutor.AbortPolicy());
    deleteLeftovers(workRoot);
  }

  void send(ServerCallStreamObserver<SnapshotResponse> call) {
    if (activeTransfers.incrementAndGet() > MAX_TRANSFERS) {
      activeTransfers.decrementAndGet();
      call.onError(EtcdStatus.TOO_MANY_REQUESTS);
      return;
    }
    Transfer transfer =
        new Transfer(call, workRoot.resolve("transfer-" + transferIds.incrementAndGet()));
    call.setOnReadyHandler(transfer::schedule);
    call.setOnCancelHandler(
        () -> {
          transfer.cancelled = true;
          transfer.schedule();
        });
    transfer.schedule();
  }

  /** Stops the thread; true if it ended, so nothing touches the instance any more. */
  boolean stop() throws InterruptedException {
    thread.shutdownNow();
    return thread.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private static void deleteLeftovers(Path workRoot) throws IOException {
    if (Files.exists(workRoot)) {
      log.info("deleting leftover snapshot files dir={}", workRoot);
      WorkDirs.deleteTree(workRoot);
    }
  }

  /** One call's transfer; its fields are touched only on the sender thread (except the flags). */
  private final class Transfer {
    private final ServerCallStreamObserver<SnapshotResponse> call;
    private final Path workDir;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    volatile boolean cancelled;

    private FileChannel file;
    private long bodyBytes;
    private long sentBytes;
    private long revision;
    private boolean finished;
    private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES);

    Transfer(ServerCallStreamObserver<SnapshotResponse> call, Path workDir) {
      this.call = call;
      this.workDir = workDir;
    }

    void schedule() {
      if (!scheduled.compareAndSet(false, true)) {
        return; // a round is queued already and will see the new state
      }
      try {
        thread.execute(this::run);
      } catch (RejectedExecutionException e) {
        scheduled.set(false);
        if (!thread.isShutdown()) {
          throw new IllegalStateException(
              "snapshot sender queue overflow: more than one task per transfer", e);
        }
        // Shutting down: the server cancels the call itself.
      }
    }

    private void run() {
      scheduled.set(false);
      if (finished) {
        return;
      }
      try {
        if (cancelled || Thread.currentThread().isInterrupted()) {
          end("cancelled", null);
          return;
        }
        if (file == null) {
          open();
        }
        while (call.isReady() && !cancelled) {
          if (sentBytes < bodyBytes) {
            sendChunk();
          } else {
            sendTrailerAndComplete();
            return;
          }
        }
        if (cancelled) {
          end("cancelled", null);
        }
      } catch (StatusRuntimeException e) {
        end("cancelled", null); // the call ended under us
      } catch (IOException | RuntimeException e) {
        end("failed", e);
      }
    }

    private void open() throws IOException {
      // Never a checkpoint of a half-installed snapshot.
      Path checkpoint = kv.readStable(() -> CheckpointBackup.checkpoint(db, workDir));
      CheckpointBackup.Built built =
          CheckpointBackup.fromCheckpoint(checkpoint, clusterId, workDir);
      file = FileChannel.open(built.file());
      bodyBytes = built.fileBytes() - BackupFormat.DIGEST_BYTES;
      revision = built.header().revision();
    }

    private void sendChunk() throws IOException {
      chunk.clear();
      chunk.limit((int) Math.min(CHUNK_BYTES, bodyBytes - sentBytes));
      while (chunk.hasRemaining()) {
        if (file.read(chunk, sentBytes + chunk.position()) < 0) {
          throw new IOException("backup file ended early at " + (sentBytes + chunk.position()));
        }
      }
      chunk.flip();
      int n = chunk.remaining();
      SnapshotResponse.Builder response =
          SnapshotResponse.newBuilder()
              .setRemainingBytes(bodyBytes - sentBytes - n)
              .setBlob(ByteString.copyFrom(chunk));
      if (sentBytes == 0) {
        response.setHeader(headers.header(revision));
      }
      call.onNext(response.build());
      sentBytes += n;
    }

    private void sendTrailerAndComplete() throws IOException {
      ByteBuffer trailer = ByteBuffer.allocate(BackupFormat.DIGEST_BYTES);
      while (trailer.hasRemaining()) {
        if (file.read(trailer, bodyBytes + trailer.position()) < 0) {
          throw new IOException("backup file has no trailer");
        }
      }
      trailer.flip();
      SnapshotResponse.Builder last =
          SnapshotResponse.newBuilder().setRemainingBytes(0).setBlob(ByteString.copyFrom(trailer));
      if (sentBytes == 0) {
        last.setHeader(headers.header(revision));
      }
      call.onNext(last.build());
      call.onCompleted();
      end("sent", null);
    }

    /** Ends the transfer once: the call if still open, the files, the slot. */
    private void end(String outcome, Exception failure) {
      if (finished) {
        return;
      }
      finished = true;
      if (failure != null) {
        log.error("snapshot transfer failed dir={}", workDir, failure);
        try {
          call.onError(EtcdStatus.INTERNAL);
        } catch (RuntimeException alreadyClosed) {
          log.debug("snapshot call already closed", alreadyClosed);
        }
      } else {
        log.info("snapshot transfer {} bytes={} revision={}", outcome, sentBytes, revision);
      }
      try {
        if (file != null) {
          file.close();
        }
        WorkDirs.deleteTree(workDir);
      } catch (IOException e) {
        log.warn("snapshot files not deleted dir={} error=\"{}\"", workDir, e.toString());
      } finally {
        activeTransfers.decrementAndGet();
      }
    }
  }
}
