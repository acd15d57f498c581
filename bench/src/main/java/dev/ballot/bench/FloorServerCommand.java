package dev.ballot.bench;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * A server of etcd's KV API with nothing behind it but a sorted map in memory: no log, no disk, no
 * replication, no history. Three of them, each on its own, stand in for a cluster in {@code
 * scripts/bench.sh --systems ...,floor}, to measure what the client and gRPC alone cost on this
 * machine: the ceiling a grpc-java server with Ballot's network settings (one event loop, handlers
 * on it) can reach under the same load.
 */
@Command(
    name = "floor-server",
    mixinStandardHelpOptions = true,
    description = {
      "Serves etcd's KV Range, Put and DeleteRange from a map in memory, and Maintenance.Status,"
          + " until stopped: no log, disk or replication. The ceiling of a grpc-java server on"
          + " this machine."
    })
final class FloorServerCommand implements Callable<Integer> {
  /** gRPC's shaded Netty sizes its event loops from this property, read once (as in kvserver). */
  static final String EVENT_LOOP_THREADS = "io.grpc.netty.shaded.io.netty.eventLoopThreads";

  @ParentCommand BallotBench parent;

  @Option(names = "--listen", required = true, description = "host:port to serve on.")
  String listen;

  @Option(
      names = "--member-id",
      required = true,
      description = "The member ID this server answers with.")
  long memberId;

  @Option(
      names = "--leader-id",
      required = true,
      description = "The member ID it names as leader in Maintenance.Status.")
  long leaderId;

  @Override
  public Integer call() throws IOException, InterruptedException {
    int colon = listen.lastIndexOf(':');
    int port;
    try {
      port = colon < 0 ? -1 : Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      parent.err().println("ballot-bench floor-server: --listen takes host:port, not " + listen);
      return 2;
    }
    // One event loop, as a Ballot node has on this machine (NetworkThreads), unless -D says else.
    if (System.getProperty(EVENT_LOOP_THREADS) == null) {
      System.setProperty(
          EVENT_LOOP_THREADS,
          Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / 2)));
    }
    Server server =
        start(new InetSocketAddress(listen.substring(0, colon), port), memberId, leaderId);
    parent.err().println("floor-server listening on " + server.getListenSockets());
    server.awaitTermination();
    return 0;
  }

  /** Starts a floor server; the caller stops it. */
  static Server start(InetSocketAddress address, long memberId, long leaderId) throws IOException {
    Floor floor = new Floor(memberId, leaderId);
    return NettyServerBuilder.forAddress(address)
        .directExecutor()
        .addService(floor.kv())
        .addService(floor.maintenance())
        .build()
        .start();
  }

  /**
   * The answers: keys in a sorted map (no history: a range reads the latest values), a revision
   * that counts the writes, and this member's ID. Txn, watches and leases are not served.
   */
  private static final class Floor {
    private final long memberId;
    private final long leaderId;
    private final AtomicLong revision = new AtomicLong(1);
    private final ConcurrentNavigableMap<ByteString, KeyValue> keys =
        new ConcurrentSkipListMap<>(ByteString.unsignedLexicographicalComparator());

    Floor(long memberId, long leaderId) {
      this.memberId = memberId;
      this.leaderId = leaderId;
    }

    ResponseHeader header(long rev) {
      return ResponseHeader.newBuilder()
          .setClusterId(1)
          .setMemberId(memberId)
          .setRevision(rev)
          .setRaftTerm(1)
          .build();
    }

    /** The keys of [key, rangeEnd) as etcd reads them: one key, from key on ("\0"), or a range. */
    NavigableMap<ByteString, KeyValue> within(ByteString key, ByteString rangeEnd) {
      if (rangeEnd.isEmpty()) {
        return keys.subMap(key, true, key, true);
      }
      if (rangeEnd.equals(ByteString.copyFrom(new byte[] {0}))) {
        return keys.tailMap(key, true);
      }
      return keys.subMap(key, true, rangeEnd, false);
    }

    KVGrpc.KVImplBase kv() {
      return new KVGrpc.KVImplBase() {
        @Override
        public void range(RangeRequest request, StreamObserver<RangeResponse> answer) {
          RangeResponse.Builder response = RangeResponse.newBuilder();
          long count = 0;
          for (KeyValue kv : within(request.getKey(), request.getRangeEnd()).values()) {
            if (request.getLimit() == 0 || count < request.getLimit()) {
              response.addKvs(kv);
            }
            count++;
          }
          answer.onNext(
              response
                  .setCount(count)
                  .setMore(response.getKvsCount() < count)
                  .setHeader(header(revision.get()))
                  .build());
          answer.onCompleted();
        }

        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> answer) {
          long rev = revision.incrementAndGet();
          KeyValue.Builder kv =
              KeyValue.newBuilder()
                  .setKey(request.getKey())
                  .setValue(request.getValue())
                  .setModRevision(rev);
          keys.merge(
              request.getKey(),
              kv.setCreateRevision(rev).setVersion(1).build(),
              (old, created) ->
                  created.toBuilder()
                      .setCreateRevision(old.getCreateRevision())
                      .setVersion(old.getVersion() + 1)
                      .build());
          answer.onNext(PutResponse.newBuilder().setHeader(header(rev)).build());
          answer.onCompleted();
        }

        @Override
        public void deleteRange(
            DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> answer) {
          NavigableMap<ByteString, KeyValue> doomed =
              within(request.getKey(), request.getRangeEnd());
          long deleted = 0;
          for (ByteString key : List.copyOf(doomed.keySet())) {
            if (keys.remove(key) != null) {
              deleted++;
            }
          }
          long rev = deleted > 0 ? revision.incrementAndGet() : revision.get();
          answer.onNext(
              DeleteRangeResponse.newBuilder().setHeader(header(rev)).setDeleted(deleted).build());
          answer.onCompleted();
        }
      };
    }

    MaintenanceGrpc.MaintenanceImplBase maintenance() {
      return new MaintenanceGrpc.MaintenanceImplBase() {
        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> answer) {
          answer.onNext(
              StatusResponse.newBuilder()
                  .setHeader(header(revision.get()))
                  .setVersion("floor")
                  .setLeader(leaderId)
                  .setRaftTerm(1)
                  .build());
          answer.onCompleted();
        }
      };
    }
  }
}
