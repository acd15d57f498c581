package dev.ballot.api;

import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmResponse;
import dev.ballot.etcd.api.DefragmentRequest;
import dev.ballot.etcd.api.DefragmentResponse;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.MoveLeaderResponse;
import dev.ballot.etcd.api.SnapshotRequest;
import dev.ballot.etcd.api.SnapshotResponse;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.membership.MembershipManager;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/** etcd's Maintenance service: status, snapshot (a backup stream), alarms, defragment. */
final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  /** The etcd API level this server speaks; clients gate features on it. */
  static final String ETCD_API_VERSION = "3.5.0";

  private final RaftDriver<?> driver;
  private final Headers headers;
  private final LongSupplier revision;
  private final LongSupplier snapshotIndex;
  private final Path dbDir;
  private final Executor pool;
  private final SnapshotSender snapshots;
  private final MembershipManager members;
  private final AlarmRequests alarms;
  private final Runnable defragment;

  MaintenanceService(
      RaftDriver<?> driver,
      Headers headers,
      LongSupplier revision,
      LongSupplier snapshotIndex,
      Path dbDir,
      Executor pool,
      SnapshotSender snapshots,
      MembershipManager members,
      AlarmRequests alarms,
      Runnable defragment) {
    this.alarms = alarms;
    this.defragment = defragment;
    this.members = members;
    this.driver = driver;
    this.headers = headers;
    this.revision = revision;
    this.snapshotIndex = snapshotIndex;
    this.dbDir = dbDir;
    this.pool = pool;
    this.snapshots = snapshots;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    try {
      pool.execute(
          () -> answerStatus(response)); // walks the RocksDB directory: not on a network thread
    } catch (RejectedExecutionException e) {
      response.onError(EtcdStatus.TOO_MANY_REQUESTS);
    }
  }

  @Override
  public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> response) {
    snapshots.send((ServerCallStreamObserver<SnapshotResponse>) response);
  }

  private void answerStatus(StreamObserver<StatusResponse> response) {
    NodeStatus s = driver.status();
    long diskBytes = diskUsageBytes();
    response.onNext(
        StatusResponse.newBuilder()
            .setHeader(headers.header(revision.getAsLong()))
            .setVersion(ETCD_API_VERSION)
            .setDbSize(diskBytes)
            .setDbSizeInUse(diskBytes)
            .setLeader(s.leaderId())
            .setRaftIndex(s.commitIndex())
            .setRaftTerm(s.term())
            .setRaftAppliedIndex(driver.appliedIndex())
            .setBallotSnapshotIndex(snapshotIndex.getAsLong())
            .setIsLearner(
                members
                    .members()
                    .member(s.nodeId())
                    .map(dev.ballot.membership.Membership.Member::learner)
                    .orElse(false))
            .build());
    response.onCompleted();
  }

  /** Hands leadership to another voter; asked of any member (etcd wants the leader). */
  @Override
  public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> response) {
    ClusterService.run(
        members,
        ChangeMembershipRequest.Kind.TRANSFER_LEADERSHIP,
        request.getTargetID(),
        response,
        m ->
            MoveLeaderResponse.newBuilder()
                .setHeader(headers.header(revision.getAsLong()))
                .build());
  }

  @Override
  public void alarm(AlarmRequest request, StreamObserver<AlarmResponse> response) {
    alarms.handle(request, response);
  }

  /**
   * Frees the space of deleted keys and compacted log entries now (flush, then a full compaction),
   * as etcd's defragment frees bbolt's free pages. On a pool thread: it takes a while.
   */
  @Override
  public void defragment(
      DefragmentRequest request, StreamObserver<DefragmentResponse> response) {
    try {
      pool.execute(
          () -> {
            try {
              defragment.run();
            } catch (RuntimeException e) {
              response.onError(
                  Status.INTERNAL
                      .withDescription("etcdserver: defragment failed: " + e.getMessage())
                      .asRuntimeException());
              return;
            }
            response.onNext(
                DefragmentResponse.newBuilder()
                    .setHeader(headers.header(revision.getAsLong()))
                    .build());
            response.onCompleted();
          });
    } catch (RejectedExecutionException e) {
      response.onError(EtcdStatus.TOO_MANY_REQUESTS);
    }
  }

  /** What Status reports as the db size; the space quota is checked against the same. */
  private long diskUsageBytes() {
    return DbSize.bytes(dbDir);
  }
}
