package dev.ballot.api;

import dev.ballot.cluster.MembershipRequests;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.AlarmResponse;
import dev.ballot.etcd.api.DefragmentRequest;
import dev.ballot.etcd.api.DefragmentResponse;
import dev.ballot.etcd.api.HashKVRequest;
import dev.ballot.etcd.api.HashKVResponse;
import dev.ballot.etcd.api.HashRequest;
import dev.ballot.etcd.api.HashResponse;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.MoveLeaderResponse;
import dev.ballot.etcd.api.SnapshotRequest;
import dev.ballot.etcd.api.SnapshotResponse;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.kv.KvHash;
import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.node.EtcdStatus;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's Maintenance service: status, snapshot (a backup stream), hashes of the key-value state and
 * alarms, and defragment.
 */
final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
  private static final Logger log = LoggerFactory.getLogger(MaintenanceService.class);

  /** The etcd API level this server speaks; clients gate features on it. */
  static final String ETCD_API_VERSION = "3.5.0";

  private final RaftDriver<?> driver;
  private final Headers headers;
  private final LongSupplier revision;
  private final LongSupplier snapshotIndex;
  private final LongSupplier dbSizeBytes;
  private final LongSupplier reclaimableBytes;
  private final Executor pool;
  private final SnapshotSender snapshots;
  private final AppliedMembership members;
  private final MembershipRequests membershipRequests;
  private final KvStore kv;
  private final AlarmRequests alarms;
  private final Runnable defragment;

  MaintenanceService(
      RaftDriver<?> driver,
      Headers headers,
      LongSupplier revision,
      LongSupplier snapshotIndex,
      LongSupplier dbSizeBytes,
      LongSupplier reclaimableBytes,
      Executor pool,
      SnapshotSender snapshots,
      AppliedMembership members,
      MembershipRequests membershipRequests,
      KvStore kv,
      AlarmRequests alarms,
      Runnable defragment) {
    this.alarms = alarms;
    this.defragment = defragment;
    this.members = members;
    this.membershipRequests = membershipRequests;
    this.kv = kv;
    this.driver = driver;
    this.headers = headers;
    this.revision = revision;
    this.snapshotIndex = snapshotIndex;
    this.dbSizeBytes = dbSizeBytes;
    this.reclaimableBytes = reclaimableBytes;
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
    long diskBytes;
    long inUseBytes;
    try {
      diskBytes = diskUsageBytes();
      inUseBytes = inUseBytes(diskBytes);
    } catch (RuntimeException e) { // the storage is closing, or reading its size failed
      log.warn("status without a db size error=\"{}\"", e.toString());
      response.onError(EtcdStatus.STOPPED);
      return;
    }
    response.onNext(
        StatusResponse.newBuilder()
            .setHeader(headers.header(revision.getAsLong()))
            .setVersion(ETCD_API_VERSION)
            .setDbSize(diskBytes)
            .setDbSizeInUse(inUseBytes)
            .addAllErrors(StatusErrors.of(s.leaderId(), kv.alarms()))
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
        membershipRequests,
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
  public void defragment(DefragmentRequest request, StreamObserver<DefragmentResponse> response) {
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

  /**
   * etcd's HashKV: the hash of every key's record at one revision (0: the current one), for
   * comparing members; a revision before the last compaction is answered as compacted, a newer one
   * than the store's as a future revision. The header carries the store's revision.
   */
  @Override
  public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> response) {
    onPool(
        response,
        () -> {
          KvHash hash = kv.hash(request.getRevision());
          return HashKVResponse.newBuilder()
              .setHeader(headers.header(Math.max(hash.revision(), revision.getAsLong())))
              .setHash(hash.hash())
              .setCompactRevision(hash.compactRevision())
              .setHashRevision(hash.revision())
              .build();
        });
  }

  /**
   * etcd's Hash (of its whole backend, for tests): here the same hash as {@link #hashKV} at the
   * current revision, since the key-value records are the state that must agree across members.
   */
  @Override
  public void hash(HashRequest request, StreamObserver<HashResponse> response) {
    onPool(
        response,
        () -> {
          KvHash hash = kv.hash(0);
          return HashResponse.newBuilder()
              .setHeader(headers.header(hash.revision()))
              .setHash(hash.hash())
              .build();
        });
  }

  /** Work that reads the whole store: on the read pool, never on a network thread. */
  private <T> void onPool(StreamObserver<T> response, PooledRead.StoreRead<T> scan) {
    PooledRead.answer(pool, response, "hash of the key-value state", scan);
  }

  /**
   * etcd's dbSizeInUse: the disk usage without the space that dead data holds in SST files (what a
   * defragment gives back). The two are read moments apart, so a compaction in between could make
   * the difference negative: that reads as 0.
   */
  private long inUseBytes(long diskBytes) {
    return Math.max(0, diskBytes - reclaimableBytes.getAsLong());
  }

  /** What Status reports as the db size; the space quota is checked against the same. */
  private long diskUsageBytes() {
    return dbSizeBytes.getAsLong();
  }
}
