package dev.ballot.client;

import dev.ballot.backup.BackupFormatException;
import dev.ballot.backup.BackupReader;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.SnapshotRequest;
import dev.ballot.etcd.api.SnapshotResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One {@code Maintenance.Snapshot} stream written to {@code FILE.part}, one message requested at a
 * time (so at most one chunk is in memory), then synced, verified and renamed to {@code FILE}. A
 * failure deletes the part file and leaves any existing {@code FILE} alone.
 */
final class SnapshotDownload implements ClientResponseObserver<SnapshotRequest, SnapshotResponse> {
  private final CompletableFuture<SavedSnapshot> result = new CompletableFuture<>();
  private final String endpoint;
  private final Path file;
  private final Path part;
  private FileChannel out;
  private ClientCallStreamObserver<SnapshotRequest> call;

  private SnapshotDownload(String endpoint, Path file) {
    this.endpoint = endpoint;
    this.file = file;
    this.part = file.resolveSibling(file.getFileName() + ".part");
  }

  static CompletableFuture<SavedSnapshot> start(
      EndpointPool.Endpoint target, Path file, Duration deadline) {
    SnapshotDownload download = new SnapshotDownload(target.address(), file);
    try {
      download.out =
          FileChannel.open(
              download.part,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(
          new IOException("cannot write " + download.part + ": " + e, e));
    }
    MaintenanceGrpc.newStub(target.channel())
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .snapshot(SnapshotRequest.getDefaultInstance(), download);
    return download.result;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<SnapshotRequest> requestStream) {
    call = requestStream;
    requestStream.disableAutoRequestWithInitial(1);
  }

  @Override
  public void onNext(SnapshotResponse response) {
    try {
      var blob = response.getBlob().asReadOnlyByteBuffer();
      while (blob.hasRemaining()) {
        out.write(blob);
      }
    } catch (IOException e) {
      call.cancel("cannot write " + part, e);
      fail(e);
      return;
    }
    call.request(1);
  }

  @Override
  public void onError(Throwable failure) {
    if (FailureClassifier.isConnectFailure(failure)) {
      fail(
          new UnavailableException(
              endpoint + ": " + FailureClassifier.describe(failure), null, endpoint, failure));
    } else {
      fail(FailureClassifier.definiteFailure(failure, endpoint));
    }
  }

  @Override
  public void onCompleted() {
    try {
      out.force(true);
      out.close();
      BackupReader.Summary summary = BackupReader.verify(part);
      Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      result.complete(
          new SavedSnapshot(
              file,
              Files.size(file),
              summary.header().revision(),
              summary.pairCount(),
              HexFormat.of().formatHex(summary.sha256())));
    } catch (BackupFormatException e) {
      fail(new IOException("the snapshot from " + endpoint + " is not valid: " + e.getMessage()));
    } catch (IOException e) {
      fail(e);
    }
  }

  private void fail(Throwable failure) {
    try {
      out.close();
      Files.deleteIfExists(part);
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
    result.completeExceptionally(failure);
  }
}
