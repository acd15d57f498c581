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
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
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
    int port = colon > 0 ? port(listen.substring(colon + 1)) : -1;
    if (port < 0) {
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

  /** The port number {@code text} names, or -1 if it names none. */
  private static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      return port <= 65535 ? port : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
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
   * The answers: keys in a sorted map under one lock (uncontended with one event loop), a revision
   * that counts the writes, and this member's ID. A range reads the latest values (no history) and
   * honours range_end, limit, count_only and keys_only; it ignores revision, sorting, the revision
   * filters and serializable. Puts ignore prev_kv, leases and ignore_value. Txn, watches and leases
   * are not served.
   */
  private static final class Floor {
    /** etcd's range_end for "every key from key on". */
    private static final ByteString FROM_KEY_ON = ByteString.copyFrom(new byte[] {0});

    private final long memberId;
    private final long leaderId;
    private final NavigableMap<ByteString, KeyValue> keys =
        new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    private long revision = 1;

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
    private NavigableMap<ByteString, KeyValue> within(ByteString key, ByteString rangeEnd) {
      if (rangeEnd.isEmpty()) {
        return keys.subMap(key, true, key, true);
      }
      if (rangeEnd.equals(FROM_KEY_ON)) {
        return keys.tailMap(key, true);
      }
      if (ByteString.unsignedLexicographicalComparator().compare(key, rangeEnd) >= 0) {
        return Collections.emptyNavigableMap();
      }
      return keys.subMap(key, true, rangeEnd, false);
    }

    synchronized long currentRevision() {
      return revision;
    }

    synchronized RangeResponse range(RangeRequest request) {
      RangeResponse.Builder response = RangeResponse.newBuilder();
      long limit = request.getLimit() > 0 ? request.getLimit() : Long.MAX_VALUE;
      long count = 0;
      for (KeyValue kv : within(request.getKey(), request.getRangeEnd()).values()) {
        if (!request.getCountOnly() && count < limit) {
          response.addKvs(request.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
        }
        count++;
      }
      return response
          .setCount(count)
          .setMore(!request.getCountOnly() && count > limit)
          .setHeader(header(revision))
          .build();
    }

    synchronized PutResponse put(PutRequest request) {
      long rev = ++revision;
      KeyValue old = keys.get(request.getKey());
      keys.put(
          request.getKey(),
          KeyValue.newBuilder()
              .setKey(request.getKey())
              .setValue(request.getValue())
              .setCreateRevision(old == null ? rev : old.getCreateRevision())
              .setModRevision(rev)
              .setVersion(old == null ? 1 : old.getVersion() + 1)
              .build());
      return PutResponse.newBuilder().setHeader(header(rev)).build();
    }

    synchronized DeleteRangeResponse deleteRange(DeleteRangeRequest request) {
      NavigableMap<ByteString, KeyValue> doomed = within(request.getKey(), request.getRangeEnd());
      long deleted = doomed.size();
      if (deleted > 0) {
        doomed.clear();
        revision++;
      }
      return DeleteRangeResponse.newBuilder()
          .setHeader(header(revision))
          .setDeleted(deleted)
          .build();
    }

    /** Answers {@code response}'s value, or etcd's refusal of a request without a key. */
    private static <T> void answerWithKey(
        ByteString key, StreamObserver<T> answer, Supplier<T> response) {
      if (key.isEmpty()) {
        answer.onError(
            Status.INVALID_ARGUMENT
                .withDescription("etcdserver: key is not provided")
                .asRuntimeException());
        return;
      }
      answer.onNext(response.get());
      answer.onCompleted();
    }

    KVGrpc.KVImplBase kv() {
      return new KVGrpc.KVImplBase() {
        @Override
        public void range(RangeRequest request, StreamObserver<RangeResponse> answer) {
          answerWithKey(request.getKey(), answer, () -> Floor.this.range(request));
        }

        @Override
        public void put(PutRequest request, StreamObserver<PutResponse> answer) {
          answerWithKey(request.getKey(), answer, () -> Floor.this.put(request));
        }

        @Override
        public void deleteRange(
            DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> answer) {
          answerWithKey(request.getKey(), answer, () -> Floor.this.deleteRange(request));
        }
      };
    }

    MaintenanceGrpc.MaintenanceImplBase maintenance() {
      return new MaintenanceGrpc.MaintenanceImplBase() {
        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> answer) {
          answer.onNext(
              StatusResponse.newBuilder()
                  .setHeader(header(currentRevision()))
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
