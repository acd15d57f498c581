package dev.ballot.api;

import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.Member;
import dev.ballot.etcd.api.MemberAddRequest;
import dev.ballot.etcd.api.MemberAddResponse;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberListResponse;
import dev.ballot.etcd.api.MemberPromoteRequest;
import dev.ballot.etcd.api.MemberPromoteResponse;
import dev.ballot.etcd.api.MemberRemoveRequest;
import dev.ballot.etcd.api.MemberRemoveResponse;
import dev.ballot.membership.Membership;
import dev.ballot.membership.MembershipManager;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * etcd's Cluster service. Members join by registering ({@code kvserver --join}), so MemberAdd is
 * refused with a pointer to that; removal and promotion are carried out by the leader.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
  static final String ADD_BY_JOIN =
      "etcdserver: Ballot adds members by registration: start the new node with"
          + " kvserver --data-dir DIR --client-addr HOST:PORT --peer-addr HOST:PORT"
          + " --join PEER_ADDR_OF_A_MEMBER (it gets the next id and joins as a learner)";

  private final MembershipManager members;
  private final Headers headers;
  private final LongSupplier revision;

  ClusterService(MembershipManager members, Headers headers, LongSupplier revision) {
    this.members = members;
    this.headers = headers;
    this.revision = revision;
  }

  static List<Member> toEtcd(Membership membership) {
    List<Member> out = new ArrayList<>();
    for (Membership.Member m : membership.members()) {
      out.add(
          Member.newBuilder()
              .setID(m.id())
              .setName("node" + m.id())
              .addPeerURLs("http://" + m.peerAddr())
              .addClientURLs("http://" + m.clientAddr())
              .setIsLearner(m.learner())
              .build());
    }
    return out;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> response) {
    response.onNext(
        MemberListResponse.newBuilder()
            .setHeader(headers.header(revision.getAsLong()))
            .addAllMembers(toEtcd(members.members()))
            .build());
    response.onCompleted();
  }

  @Override
  public void memberAdd(MemberAddRequest request, StreamObserver<MemberAddResponse> response) {
    response.onError(Status.FAILED_PRECONDITION.withDescription(ADD_BY_JOIN).asRuntimeException());
  }

  @Override
  public void memberRemove(
      MemberRemoveRequest request, StreamObserver<MemberRemoveResponse> response) {
    run(
        ChangeMembershipRequest.Kind.REMOVE,
        request.getID(),
        response,
        m ->
            MemberRemoveResponse.newBuilder()
                .setHeader(headers.header(revision.getAsLong()))
                .addAllMembers(toEtcd(m))
                .build());
  }

  @Override
  public void memberPromote(
      MemberPromoteRequest request, StreamObserver<MemberPromoteResponse> response) {
    run(
        ChangeMembershipRequest.Kind.PROMOTE,
        request.getID(),
        response,
        m ->
            MemberPromoteResponse.newBuilder()
                .setHeader(headers.header(revision.getAsLong()))
                .addAllMembers(toEtcd(m))
                .build());
  }

  /** Runs a membership operation off the network thread and answers with its outcome. */
  static <T> void run(
      MembershipManager members,
      ChangeMembershipRequest.Kind kind,
      long id,
      StreamObserver<T> response,
      Function<Membership, T> answer) {
    members
        .execute(kind, id)
        .whenComplete(
            (m, error) -> {
              if (error == null) {
                response.onNext(answer.apply(m));
                response.onCompleted();
              } else {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                Status status = Status.fromThrowable(cause);
                if (status.getCode() == Status.Code.UNKNOWN) {
                  status = Status.INTERNAL.withDescription("etcdserver: " + cause);
                }
                response.onError(status.asRuntimeException());
              }
            });
  }

  private <T> void run(
      ChangeMembershipRequest.Kind kind,
      long id,
      StreamObserver<T> response,
      Function<Membership, T> answer) {
    run(members, kind, id, response, answer);
  }
}
