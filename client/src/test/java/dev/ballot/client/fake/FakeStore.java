package dev.ballot.client.fake;

import com.google.protobuf.ByteString;
import dev.ballot.etcd.api.Compare;
import dev.ballot.etcd.api.DeleteRangeRequest;
import dev.ballot.etcd.api.DeleteRangeResponse;
import dev.ballot.etcd.api.Member;
import dev.ballot.etcd.api.PutRequest;
import dev.ballot.etcd.api.PutResponse;
import dev.ballot.etcd.api.RangeRequest;
import dev.ballot.etcd.api.RangeResponse;
import dev.ballot.etcd.api.RequestOp;
import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.etcd.api.ResponseOp;
import dev.ballot.etcd.api.TxnRequest;
import dev.ballot.etcd.api.TxnResponse;
import dev.ballot.etcd.mvcc.KeyValue;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A tiny etcd key space in memory, shared by the {@link FakeEtcdServer}s of one fake cluster:
 * revisions, versions, ranges with etcd's range_end conventions, and transactions. No history, no
 * leases. Thread-safe (one lock).
 */
public final class FakeStore {
  private static final ByteString ALL_FROM_KEY = ByteString.copyFrom(new byte[] {0});

  private final NavigableMap<ByteString, KeyValue> data =
      new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final List<Member> members = new ArrayList<>();
  private long revision = 1;
  private long leaderId;
  private long raftTerm = 2;

  /** The current revision (1 for an empty store, as in etcd). */
  public synchronized long revision() {
    return revision;
  }

  /** The member id every fake server reports as the leader; 0 for none. */
  public synchronized long leaderId() {
    return leaderId;
  }

  /** Sets the member id every fake server reports as leader. */
  public synchronized void setLeaderId(long leaderId) {
    this.leaderId = leaderId;
  }

  /** The Raft term every fake server reports. */
  public synchronized long raftTerm() {
    return raftTerm;
  }

  /** Adds a member to the member list. */
  public synchronized void addMember(Member member) {
    members.add(member);
  }

  /** The member list. */
  public synchronized List<Member> members() {
    return List.copyOf(members);
  }

  /** Removes a member as etcd does, or refuses with etcd's NOT_FOUND; returns those left. */
  public synchronized List<Member> removeMember(long id) {
    if (!members.removeIf(m -> m.getID() == id)) {
      throw Status.NOT_FOUND.withDescription("etcdserver: member not found").asRuntimeException();
    }
    return List.copyOf(members);
  }

  /** Replaces a member's peer URLs as etcd does, or refuses with NOT_FOUND; returns the members. */
  public synchronized List<Member> updateMember(long id, List<String> peerUrls) {
    for (int i = 0; i < members.size(); i++) {
      Member member = members.get(i);
      if (member.getID() == id) {
        members.set(i, member.toBuilder().clearPeerURLs().addAllPeerURLs(peerUrls).build());
        return List.copyOf(members);
      }
    }
    throw Status.NOT_FOUND.withDescription("etcdserver: member not found").asRuntimeException();
  }

  /** Turns a learner into a voter, or refuses as etcd does; returns the members after it. */
  public synchronized List<Member> promoteMember(long id) {
    for (int i = 0; i < members.size(); i++) {
      Member member = members.get(i);
      if (member.getID() == id) {
        if (!member.getIsLearner()) {
          throw Status.FAILED_PRECONDITION
              .withDescription("etcdserver: can only promote a learner member")
              .asRuntimeException();
        }
        members.set(i, member.toBuilder().setIsLearner(false).build());
        return List.copyOf(members);
      }
    }
    throw Status.NOT_FOUND.withDescription("etcdserver: member not found").asRuntimeException();
  }

  /**
   * etcd's MoveLeader as member {@code askedId} serves it: only the leader accepts it, and only for
   * a voter; the target then leads at once.
   */
  public synchronized void moveLeader(long askedId, long targetId) {
    if (askedId != leaderId) {
      throw Status.FAILED_PRECONDITION
          .withDescription("etcdserver: not leader")
          .asRuntimeException();
    }
    if (members.stream().noneMatch(m -> m.getID() == targetId && !m.getIsLearner())) {
      throw Status.FAILED_PRECONDITION
          .withDescription("etcdserver: bad leader transferee")
          .asRuntimeException();
    }
    leaderId = targetId;
  }

  /** Whether the member with this id is a learner. */
  public synchronized boolean isLearner(long memberId) {
    return members.stream().anyMatch(m -> m.getID() == memberId && m.getIsLearner());
  }

  private ResponseHeader header(long memberId) {
    return ResponseHeader.newBuilder()
        .setClusterId(1)
        .setMemberId(memberId)
        .setRevision(revision)
        .setRaftTerm(raftTerm)
        .build();
  }

  public synchronized RangeResponse range(RangeRequest request, long memberId) {
    List<KeyValue> found = select(request.getKey(), request.getRangeEnd());
    RangeResponse.Builder response =
        RangeResponse.newBuilder().setHeader(header(memberId)).setCount(found.size());
    if (!request.getCountOnly()) {
      long limit = request.getLimit() > 0 ? request.getLimit() : Long.MAX_VALUE;
      for (KeyValue kv : found) {
        if (response.getKvsCount() >= limit) {
          response.setMore(true);
          break;
        }
        response.addKvs(request.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
      }
    }
    return response.build();
  }

  public synchronized PutResponse put(PutRequest request, long memberId) {
    revision++;
    PutResponse.Builder response = PutResponse.newBuilder();
    KeyValue previous = apply(request, revision);
    if (request.getPrevKv() && previous != null) {
      response.setPrevKv(previous);
    }
    return response.setHeader(header(memberId)).build();
  }

  public synchronized DeleteRangeResponse delete(DeleteRangeRequest request, long memberId) {
    List<KeyValue> doomed = select(request.getKey(), request.getRangeEnd());
    if (!doomed.isEmpty()) {
      revision++;
    }
    return deleteAll(doomed, request.getPrevKv()).setHeader(header(memberId)).build();
  }

  public synchronized TxnResponse txn(TxnRequest request, long memberId) {
    boolean succeeded = request.getCompareList().stream().allMatch(this::holds);
    List<RequestOp> ops = succeeded ? request.getSuccessList() : request.getFailureList();
    boolean writes = ops.stream().anyMatch(op -> !op.hasRequestRange());
    long txnRevision = writes ? revision + 1 : revision;
    TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(succeeded);
    for (RequestOp op : ops) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE:
          response.addResponses(
              ResponseOp.newBuilder().setResponseRange(range(op.getRequestRange(), memberId)));
          break;
        case REQUEST_PUT:
          PutResponse.Builder put = PutResponse.newBuilder();
          KeyValue previous = apply(op.getRequestPut(), txnRevision);
          if (op.getRequestPut().getPrevKv() && previous != null) {
            put.setPrevKv(previous);
          }
          response.addResponses(ResponseOp.newBuilder().setResponsePut(put));
          break;
        case REQUEST_DELETE_RANGE:
          DeleteRangeRequest delete = op.getRequestDeleteRange();
          List<KeyValue> doomed = select(delete.getKey(), delete.getRangeEnd());
          response.addResponses(
              ResponseOp.newBuilder()
                  .setResponseDeleteRange(deleteAll(doomed, delete.getPrevKv())));
          break;
        default:
          throw new UnsupportedOperationException("fake store: " + op.getRequestCase());
      }
    }
    revision = txnRevision;
    return response.setHeader(header(memberId)).build();
  }

  private KeyValue apply(PutRequest request, long atRevision) {
    KeyValue previous = data.get(request.getKey());
    KeyValue.Builder next =
        KeyValue.newBuilder()
            .setKey(request.getKey())
            .setValue(request.getValue())
            .setLease(request.getLease())
            .setModRevision(atRevision);
    if (previous == null) {
      next.setCreateRevision(atRevision).setVersion(1);
    } else {
      next.setCreateRevision(previous.getCreateRevision()).setVersion(previous.getVersion() + 1);
    }
    data.put(request.getKey(), next.build());
    return previous;
  }

  private DeleteRangeResponse.Builder deleteAll(List<KeyValue> doomed, boolean prevKv) {
    DeleteRangeResponse.Builder response = DeleteRangeResponse.newBuilder();
    for (KeyValue kv : doomed) {
      data.remove(kv.getKey());
      if (prevKv) {
        response.addPrevKvs(kv);
      }
    }
    return response.setDeleted(doomed.size());
  }

  private boolean holds(Compare compare) {
    KeyValue kv = data.get(compare.getKey());
    if (kv == null && compare.getTarget() == Compare.CompareTarget.VALUE) {
      return false; // as in etcd: a value guard on a missing key never holds
    }
    KeyValue current = kv != null ? kv : KeyValue.getDefaultInstance();
    int order;
    switch (compare.getTarget()) {
      case VALUE:
        order =
            ByteString.unsignedLexicographicalComparator()
                .compare(current.getValue(), compare.getValue());
        break;
      case MOD:
        order = Long.compare(current.getModRevision(), compare.getModRevision());
        break;
      case VERSION:
        order = Long.compare(current.getVersion(), compare.getVersion());
        break;
      case CREATE:
        order = Long.compare(current.getCreateRevision(), compare.getCreateRevision());
        break;
      default:
        throw new UnsupportedOperationException("fake store: " + compare.getTarget());
    }
    switch (compare.getResult()) {
      case EQUAL:
        return order == 0;
      case NOT_EQUAL:
        return order != 0;
      case GREATER:
        return order > 0;
      case LESS:
        return order < 0;
      default:
        throw new UnsupportedOperationException("fake store: " + compare.getResult());
    }
  }

  private List<KeyValue> select(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      KeyValue kv = data.get(key);
      return kv == null ? List.of() : List.of(kv);
    }
    if (rangeEnd.equals(ALL_FROM_KEY)) {
      return new ArrayList<>(data.tailMap(key, true).values());
    }
    return new ArrayList<>(data.subMap(key, true, rangeEnd, false).values());
  }
}
