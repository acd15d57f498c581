package dev.ballot.api;

import dev.ballot.cluster.MembershipRequests;
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
import dev.ballot.etcd.api.MemberUpdateRequest;
import dev.ballot.etcd.api.MemberUpdateResponse;
import dev.ballot.flags.HostPort;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Membership;
import dev.ballot.proto.raft.v1.ChangeMembershipRequest;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * etcd's Cluster service. Members join by registering ({@code kvserver --join}), so MemberAdd is
 * refused with a pointer to that; removal, promotion and peer address updates are carried out by
 * the leader.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
  static final String ADD_BY_JOIN =
      "etcdserver: Ballot adds members by registration: start the new node with"
          + " kvserver --data-dir DIR --client-addr HOST:PORT --peer-addr HOST:PORT"
          + " --join PEER_ADDR_OF_A_MEMBER (it gets the next id and joins as a learner)";

  /** etcd's answer to peer URLs it cannot use (rpctypes.ErrGRPCMemberBadURLs). */
  static final String BAD_URLS = "etcdserver: given member URLs are invalid";

  private static final String HTTP = "http://";

  private final AppliedMembership members;
  private final MembershipRequests requests;
  private final Headers headers;
  private final LongSupplier revision;

  ClusterService(
      AppliedMembership members,
      MembershipRequests requests,
      Headers headers,
      LongSupplier revision) {
    this.members = members;
    this.requests = requests;
    this.headers = headers;
    this.revision = revision;
  }

  static List<Member> toEtcd(Membership membership) {
    List<Member> out = new ArrayList<>();
    for (Membership.Member m : membership.members()) {
      out.add(
          Member.newBuilder()
              .setID(m.id())
              .setName(m.displayName())
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

  /**
   * Moves a member's peer port (etcdctl member update ID --peer-urls=URL): one URL, {@code
   * http://host:port} or {@code host:port}, since a Ballot member has one peer address. The
   * committed change reaches every member, whose links to that member switch to the new address;
   * the member itself listens there once restarted with the new --peer-addr.
   */
  @Override
  public void memberUpdate(
      MemberUpdateRequest request, StreamObserver<MemberUpdateResponse> response) {
    String peerAddr;
    try {
      peerAddr = peerAddr(request.getPeerURLsList());
    } catch (IllegalArgumentException e) {
      response.onError(Status.INVALID_ARGUMENT.withDescription(BAD_URLS).asRuntimeException());
      return;
    }
    run(
        requests,
        ChangeMembershipRequest.Kind.UPDATE_PEER_ADDR,
        request.getID(),
        peerAddr,
        response,
        m ->
            MemberUpdateResponse.newBuilder()
                .setHeader(headers.header(revision.getAsLong()))
                .addAllMembers(toEtcd(m))
                .build());
  }

  /** The one peer address in {@code urls}; IllegalArgumentException when there is not one. */
  static String peerAddr(List<String> urls) {
    if (urls.size() != 1) {
      throw new IllegalArgumentException("expected one peer URL, got " + urls.size());
    }
    String url = urls.get(0);
    String address = url.startsWith(HTTP) ? url.substring(HTTP.length()) : url;
    return HostPort.parse(address).toString();
  }

  /** Runs a membership operation on the leader and answers with its outcome. */
  static <T> void run(
      MembershipRequests requests,
      ChangeMembershipRequest.Kind kind,
      long id,
      StreamObserver<T> response,
      Function<Membership, T> answer) {
    run(requests, kind, id, "", response, answer);
  }

  /** The same, for a change that names a peer address. */
  static <T> void run(
      MembershipRequests requests,
      ChangeMembershipRequest.Kind kind,
      long id,
      String peerAddr,
      StreamObserver<T> response,
      Function<Membership, T> answer) {
    Deadline deadline = Context.current().getDeadline();
    long timeoutMs =
        deadline == null
            ? Long.MAX_VALUE // the requests' own bound applies
            : Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
    requests
        .execute(kind, id, peerAddr, timeoutMs)
        .whenComplete((m, error) -> UnaryAnswer.send(response, m, error, answer, "membership"));
  }

  private <T> void run(
      ChangeMembershipRequest.Kind kind,
      long id,
      StreamObserver<T> response,
      Function<Membership, T> answer) {
    run(requests, kind, id, response, answer);
  }
}
