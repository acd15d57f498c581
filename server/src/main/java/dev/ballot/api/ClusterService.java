package dev.ballot.api;

import dev.ballot.etcd.api.ClusterGrpc;
import dev.ballot.etcd.api.Member;
import dev.ballot.etcd.api.MemberListRequest;
import dev.ballot.etcd.api.MemberListResponse;
import dev.ballot.membership.Identity;
import io.grpc.stub.StreamObserver;
import java.util.function.LongSupplier;

/** etcd's Cluster service: the member list (membership changes come later). */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final Identity identity;
  private final Headers headers;
  private final LongSupplier revision;

  ClusterService(Identity identity, Headers headers, LongSupplier revision) {
    this.identity = identity;
    this.headers = headers;
    this.revision = revision;
  }

  @Override
  public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> response) {
    MemberListResponse.Builder b =
        MemberListResponse.newBuilder().setHeader(headers.header(revision.getAsLong()));
    for (Identity.Member m : identity.members()) {
      b.addMembers(
          Member.newBuilder()
              .setID(m.id())
              .setName("node" + m.id())
              .addPeerURLs("http://" + m.peerAddr())
              .addClientURLs("http://" + m.clientAddr()));
    }
    response.onNext(b.build());
    response.onCompleted();
  }
}
