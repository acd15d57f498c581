package dev.ballot.api;

import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmResponse;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/** etcd's Maintenance service: status and (an empty list of) alarms. */
final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API level this server speaks; clients gate features on it. */
  static final String ETCD_API_VERSION = "3.5.0";

  private final RaftDriver<?> driver;
  private final Headers headers;
  private final LongSupplier revision;
  private final Path dataDir;

  MaintenanceService(RaftDriver<?> driver, Headers headers, LongSupplier revision, Path dataDir) {
    this.driver = driver;
    this.headers = headers;
    this.revision = revision;
    this.dataDir = dataDir;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    NodeStatus s = driver.status();
    response.onNext(
        StatusResponse.newBuilder()
            .setHeader(headers.header(revision.getAsLong()))
            .setVersion(ETCD_API_VERSION)
            .setDbSize(diskUsageBytes())
            .setDbSizeInUse(diskUsageBytes())
            .setLeader(s.leaderId())
            .setRaftIndex(s.commitIndex())
            .setRaftTerm(s.term())
            .setRaftAppliedIndex(driver.appliedIndex())
            .build());
    response.onCompleted();
  }

  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> response) {
    if (request.getAction() != AlarmRequest.AlarmAction.GET) {
      response.onError(
          Status.UNIMPLEMENTED
              .withDescription("alarms are not supported yet")
              .asRuntimeException());
      return;
    }
    response.onNext(
        AlarmResponse.newBuilder().setHeader(headers.header(revision.getAsLong())).build());
    response.onCompleted();
  }

  private long diskUsageBytes() {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0; // deleted by a compaction while we walked
                }
              })
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }
}
