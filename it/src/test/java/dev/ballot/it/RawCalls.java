package dev.ballot.it;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.ballot.etcd.api.AlarmRequest;
import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.CompactionRequest;
import dev.ballot.etcd.api.DefragmentRequest;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DowngradeRequest;
import dev.ballot.etcd.api.HashKVRequest;
import dev.ballot.etcd.api.HashRequest;
import dev.ballot.etcd.api.KVGrpc;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.MemberAddRequest;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.MoveLeaderRequest;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.SnapshotRequest;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.TxnRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Unary calls of the etcd v3 API with the request body given as bytes, so that a test can send what
 * no generated stub would: unknown fields, truncated or random bodies. Each method also names the
 * parser of its request type, to see a body as the server will.
 */
final class RawCalls {
  /** One etcd method: its wire name as bytes in, bytes out, and the parser of its request. */
  record Method(MethodDescriptor<byte[], byte[]> descriptor, Parser<? extends Message> parser) {
    String name() {
      return descriptor.getFullMethodName();
    }
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final Method RANGE = of(KVGrpc.getRangeMethod(), RangeRequest.parser());
  static final Method PUT = of(KVGrpc.getPutMethod(), PutRequest.parser());
  static final Method DELETE_RANGE = of(KVGrpc.getDeleteRangeMethod(), DeleteRangeRequest.parser());
  static final Method TXN = of(KVGrpc.getTxnMethod(), TxnRequest.parser());
  static final Method COMPACT = of(KVGrpc.getCompactMethod(), CompactionRequest.parser());
  static final Method MEMBER_ADD = of(ClusterGrpc.getMemberAddMethod(), MemberAddRequest.parser());
  static final Method MEMBER_REMOVE =
      of(ClusterGrpc.getMemberRemoveMethod(), MemberRemoveRequest.parser());
  static final Method MEMBER_UPDATE =
      of(ClusterGrpc.getMemberUpdateMethod(), MemberUpdateRequest.parser());
  static final Method MEMBER_LIST =
      of(ClusterGrpc.getMemberListMethod(), MemberListRequest.parser());
  static final Method MEMBER_PROMOTE =
      of(ClusterGrpc.getMemberPromoteMethod(), MemberPromoteRequest.parser());
  static final Method ALARM = of(MaintenanceGrpc.getAlarmMethod(), AlarmRequest.parser());
  static final Method STATUS = of(MaintenanceGrpc.getStatusMethod(), StatusRequest.parser());
  static final Method DEFRAGMENT =
      of(MaintenanceGrpc.getDefragmentMethod(), DefragmentRequest.parser());
  static final Method HASH = of(MaintenanceGrpc.getHashMethod(), HashRequest.parser());
  static final Method HASH_KV = of(MaintenanceGrpc.getHashKVMethod(), HashKVRequest.parser());
  static final Method MOVE_LEADER =
      of(MaintenanceGrpc.getMoveLeaderMethod(), MoveLeaderRequest.parser());
  static final Method DOWNGRADE =
      of(MaintenanceGrpc.getDowngradeMethod(), DowngradeRequest.parser());

  /**
   * A server-streaming method called as unary: the client gives up at the second message and
   * cancels the stream midway.
   */
  static final Method SNAPSHOT_AS_UNARY =
      new Method(
          MaintenanceGrpc.getSnapshotMethod().toBuilder(BYTES, BYTES)
              .setType(MethodDescriptor.MethodType.UNARY)
              .build(),
          SnapshotRequest.parser());

  static final List<Method> ALL =
      List.of(
          RANGE,
          PUT,
          DELETE_RANGE,
          TXN,
          COMPACT,
          MEMBER_ADD,
          MEMBER_REMOVE,
          MEMBER_UPDATE,
          MEMBER_LIST,
          MEMBER_PROMOTE,
          ALARM,
          STATUS,
          DEFRAGMENT,
          HASH,
          HASH_KV,
          MOVE_LEADER,
          DOWNGRADE,
          SNAPSHOT_AS_UNARY);

  private RawCalls() {}

  private static Method of(MethodDescriptor<?, ?> method, Parser<? extends Message> parser) {
    return new Method(method.toBuilder(BYTES, BYTES).build(), parser);
  }

  /** Sends {@code body} and returns the response's bytes; a failure is a StatusRuntimeException. */
  static byte[] call(Channel channel, Method method, byte[] body, Duration deadline) {
    return ClientCalls.blockingUnaryCall(
        channel,
        method.descriptor(),
        CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS),
        body);
  }
}
