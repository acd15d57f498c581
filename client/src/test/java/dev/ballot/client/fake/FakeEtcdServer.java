package dev.ballot.client.fake;

import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberListResponse;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberPromoteResponse;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberRemoveResponse;
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.MemberUpdateResponse;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.MoveLeaderResponse;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One fake etcd member on 127.0.0.1 and a free port, serving KV, Maintenance.Status and MoveLeader,
 * and Cluster.MemberList, MemberRemove and MemberPromote from a {@link FakeStore}. It counts the
 * requests per method and can be told to fail, hang or drop the connection on the next ones, to
 * test client behaviour.
 */
public final class FakeEtcdServer implements AutoCloseable {
  private final FakeStore store;
  private final long memberId;
  private final Server server;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();

  private FakeEtcdServer(FakeStore store, long memberId) throws IOException {
    this.store = store;
    this.memberId = memberId;
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Kv())
            .addService(new Maintenance())
            .addService(new Cluster())
            .build()
            .start();
  }

  /** Starts a member of the fake cluster that shares {@code store}. */
  public static FakeEtcdServer start(FakeStore store, long memberId) {
    try {
      return new FakeEtcdServer(store, memberId);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a lone member (id 1, its own leader) with a store of its own. */
  public static FakeEtcdServer start() {
    FakeStore store = new FakeStore();
    store.setLeaderId(1);
    return start(store, 1);
  }

  /** An address on which nothing listens: connecting to it is refused. */
  public static String unusedEndpoint() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** host:port of this member. */
  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  public long memberId() {
    return memberId;
  }

  public FakeStore store() {
    return store;
  }

  /** How many requests for {@code method} ("Put", "Range", "Txn", ...) arrived, faulted or not. */
  public int calls(String method) {
    AtomicInteger count = calls.get(method);
    return count == null ? 0 : count.get();
  }

  /** Makes the next {@code times} requests for {@code method} suffer {@code fault}. */
  public void inject(String method, Fault fault, int times) {
    Deque<Fault> queue = faults.computeIfAbsent(method, m -> new ArrayDeque<>());
    synchronized (queue) {
      for (int i = 0; i < times; i++) {
        queue.add(fault);
      }
    }
  }

  /** Stops at once, cutting open connections. */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <R> void serve(String method, StreamObserver<R> observer, Supplier<R> answer) {
    calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    Fault fault = nextFault(method);
    if (fault == null) {
      R response;
      try {
        response = answer.get();
      } catch (StatusRuntimeException e) {
        observer.onError(e); // etcd's refusal, such as "etcdserver: member not found"
        return;
      } catch (RuntimeException e) {
        observer.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        return;
      }
      observer.onNext(response);
      observer.onCompleted();
    } else if (fault instanceof Fault.Fail fail) {
      observer.onError(fail.status().asRuntimeException());
    } else if (fault instanceof Fault.DropConnection) {
      Thread stopper = new Thread(this::close, "fake-etcd-drop");
      stopper.start();
    }
    // Fault.Hang: never answer.
  }

  private Fault nextFault(String method) {
    Deque<Fault> queue = faults.get(method);
    if (queue == null) {
      return null;
    }
    synchronized (queue) {
      return queue.poll();
    }
  }

  private final class Kv extends KVGrpc.KVImplBase {
    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
      serve("Range", observer, () -> store.range(request, memberId));
    }

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> observer) {
      if (request.getKey().isEmpty()) {
        observer.onError(keyNotProvided());
        return;
      }
      serve("Put", observer, () -> store.put(request, memberId));
    }

    @Override
    public void deleteRange(
        DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
      serve("DeleteRange", observer, () -> store.delete(request, memberId));
    }

    @Override
    public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
      serve("Txn", observer, () -> store.txn(request, memberId));
    }
  }

  private static RuntimeException keyNotProvided() {
    return Status.INVALID_ARGUMENT
        .withDescription("etcdserver: key is not provided")
        .asRuntimeException();
  }

  private final class Maintenance extends MaintenanceGrpc.MaintenanceImplBase {
    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
      serve(
          "Status",
          observer,
          () ->
              StatusResponse.newBuilder()
                  .setHeader(
                      ResponseHeader.newBuilder()
                          .setMemberId(memberId)
                          .setRevision(store.revision())
                          .setRaftTerm(store.raftTerm()))
                  .setVersion("3.5.0-fake")
                  .setLeader(store.leaderId())
                  .setRaftTerm(store.raftTerm())
                  .setRaftIndex(store.revision() + 10)
                  .setRaftAppliedIndex(store.revision() + 9)
                  .setDbSize(20480 + store.revision())
                  .setIsLearner(store.isLearner(memberId))
                  .build());
    }

    @Override
    public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderResponse> observer) {
      serve(
          "MoveLeader",
          observer,
          () -> {
            store.moveLeader(memberId, request.getTargetID());
            return MoveLeaderResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setMemberId(memberId))
                .build();
          });
    }
  }

  private final class Cluster extends ClusterGrpc.ClusterImplBase {
    @Override
    public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> observer) {
      serve(
          "MemberList",
          observer,
          () ->
              MemberListResponse.newBuilder()
                  .setHeader(ResponseHeader.newBuilder().setMemberId(memberId))
                  .addAllMembers(store.members())
                  .build());
    }

    @Override
    public void memberRemove(
        MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> observer) {
      serve(
          "MemberRemove",
          observer,
          () ->
              MemberRemoveResponse.newBuilder()
                  .setHeader(ResponseHeader.newBuilder().setMemberId(memberId))
                  .addAllMembers(store.removeMember(request.getID()))
                  .build());
    }

    @Override
    public void memberUpdate(
        MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> observer) {
      serve(
          "MemberUpdate",
          observer,
          () ->
              MemberUpdateResponse.newBuilder()
                  .setHeader(ResponseHeader.newBuilder().setMemberId(memberId))
                  .addAllMembers(store.updateMember(request.getID(), request.getPeerURLsList()))
                  .build());
    }

    @Override
    public void memberPromote(
        MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> observer) {
      serve(
          "MemberPromote",
          observer,
          () ->
              MemberPromoteResponse.newBuilder()
                  .setHeader(ResponseHeader.newBuilder().setMemberId(memberId))
                  .addAllMembers(store.promoteMember(request.getID()))
                  .build());
    }
  }
}
