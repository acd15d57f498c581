package dev.ballot.client;

import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.Member;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.etcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Conversions between the etcd wire messages and the client's value types. */
final class Protos {
  private Protos() {}

  static PutRequest put(byte[] key, byte[] value, PutOptions options) {
    return PutRequest.newBuilder()
        .setKey(Bytes.wrap(key))
        .setValue(Bytes.wrap(value))
        .setPrevKv(options.prevKv())
        .setLease(options.leaseId())
        .build();
  }

  static DeleteRangeRequest delete(byte[] key, DeleteOptions options) {
    DeleteRangeRequest.Builder request =
        DeleteRangeRequest.newBuilder().setPrevKv(options.prevKv());
    if (options.prefix()) {
      request
          .setKey(Bytes.wrap(Bytes.rangeStart(key)))
          .setRangeEnd(Bytes.wrap(Bytes.prefixEnd(key)));
    } else {
      request.setKey(Bytes.wrap(key));
    }
    return request.build();
  }

  static KeyValue keyValue(dev.ballot.etcd.mvcc.KeyValue kv) {
    return new KeyValue(
        kv.getKey().toByteArray(),
        kv.getValue().toByteArray(),
        kv.getCreateRevision(),
        kv.getModRevision(),
        kv.getVersion(),
        kv.getLease());
  }

  static List<KeyValue> keyValues(List<dev.ballot.etcd.mvcc.KeyValue> kvs) {
    List<KeyValue> result = new ArrayList<>(kvs.size());
    for (dev.ballot.etcd.mvcc.KeyValue kv : kvs) {
      result.add(keyValue(kv));
    }
    return result;
  }

  static PutResult putResult(PutResponse response, long fallbackRevision) {
    Optional<KeyValue> prev =
        response.hasPrevKv() ? Optional.of(keyValue(response.getPrevKv())) : Optional.empty();
    return new PutResult(revision(response.getHeader().getRevision(), fallbackRevision), prev);
  }

  static RangeResult rangeResult(RangeResponse response, long fallbackRevision) {
    return new RangeResult(
        keyValues(response.getKvsList()),
        response.getCount(),
        response.getMore(),
        revision(response.getHeader().getRevision(), fallbackRevision));
  }

  static DeleteResult deleteResult(DeleteRangeResponse response, long fallbackRevision) {
    return new DeleteResult(
        response.getDeleted(),
        keyValues(response.getPrevKvsList()),
        revision(response.getHeader().getRevision(), fallbackRevision));
  }

  static TxnResult txnResult(TxnResponse response) {
    long revision = response.getHeader().getRevision();
    List<OpResult> results = new ArrayList<>(response.getResponsesCount());
    for (ResponseOp op : response.getResponsesList()) {
      results.add(opResult(op, revision));
    }
    return new TxnResult(response.getSucceeded(), results, revision);
  }

  private static OpResult opResult(ResponseOp op, long txnRevision) {
    switch (op.getResponseCase()) {
      case RESPONSE_RANGE:
        return new OpResult.Range(rangeResult(op.getResponseRange(), txnRevision));
      case RESPONSE_PUT:
        return new OpResult.Put(putResult(op.getResponsePut(), txnRevision));
      case RESPONSE_DELETE_RANGE:
        return new OpResult.Delete(deleteResult(op.getResponseDeleteRange(), txnRevision));
      default:
        // The client never sends nested transactions, so a server answering one is broken.
        throw new IllegalStateException("unexpected transaction response op: " + op);
    }
  }

  /** etcd may leave the header of a response nested in a transaction empty. */
  private static long revision(long own, long fallback) {
    return own != 0 ? own : fallback;
  }

  static EndpointStatus endpointStatus(String endpoint, StatusResponse response) {
    return new EndpointStatus(
        endpoint,
        response.getHeader().getMemberId(),
        response.getLeader(),
        response.getRaftTerm(),
        response.getRaftIndex(),
        response.getRaftAppliedIndex(),
        response.getDbSize(),
        response.getDbSizeInUse(),
        response.getVersion(),
        response.getErrorsList(),
        response.getIsLearner(),
        response.getBallotSnapshotIndex());
  }

  static List<MemberInfo> memberInfos(List<Member> members) {
    List<MemberInfo> result = new ArrayList<>(members.size());
    members.forEach(m -> result.add(memberInfo(m)));
    return List.copyOf(result);
  }

  static MemberInfo memberInfo(Member member) {
    return new MemberInfo(
        member.getID(),
        member.getName(),
        member.getPeerURLsList(),
        member.getClientURLsList(),
        member.getIsLearner());
  }
}
