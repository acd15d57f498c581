package dev.ballot.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.proto.raft.v1.NodeIdentity;

/**
 * Who this node is: its id, its cluster's id, and the members it was told of when it got its id (by
 * bootstrap discovery, or by the leader when it registered). The live member list comes from the
 * log afterwards; this one is only the configuration before the first configuration entry. Written
 * once, then read back on every start; {@code removed} is set when the node learns it was removed
 * from the cluster, after which it never runs again on this data.
 */
public record Identity(
    long nodeId, long clusterId, long tempId, Membership initialMembership, boolean removed) {

  public Identity {
    if (nodeId <= 0 || clusterId == 0) {
      throw new IllegalArgumentException(
          "invalid identity nodeId=" + nodeId + " clusterId=" + clusterId);
    }
    if (!initialMembership.contains(nodeId)) {
      throw new IllegalArgumentException(
          "node " + nodeId + " is not among its members " + initialMembership);
    }
  }

  public Identity markedRemoved() {
    return new Identity(nodeId, clusterId, tempId, initialMembership, true);
  }

  public byte[] encode() {
    return NodeIdentity.newBuilder()
        .setNodeId(nodeId)
        .setClusterId(clusterId)
        .setTempId(tempId)
        .addAllMembers(initialMembership.toProto().getMembersList())
        .setMaxNodeId(initialMembership.maxNodeId())
        .setRemoved(removed)
        .build()
        .toByteArray();
  }

  public static Identity decode(byte[] bytes) {
    NodeIdentity p;
    try {
      p = NodeIdentity.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored node identity is unreadable", e);
    }
    long maxId = p.getMaxNodeId();
    if (maxId == 0) {
      // Written before membership changes existed: the bootstrap members, all voters.
      maxId = p.getMembersList().stream().mapToLong(m -> m.getId()).max().orElse(0);
    }
    Membership members =
        Membership.fromProto(
            dev.ballot.proto.raft.v1.MembershipState.newBuilder()
                .addAllMembers(p.getMembersList())
                .setMaxNodeId(maxId)
                .build());
    return new Identity(p.getNodeId(), p.getClusterId(), p.getTempId(), members, p.getRemoved());
  }

  public String clusterIdHex() {
    return Long.toHexString(clusterId);
  }
}
