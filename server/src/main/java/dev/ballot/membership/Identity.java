package dev.ballot.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.proto.raft.v1.MemberInfo;
import dev.ballot.proto.raft.v1.NodeIdentity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who this node is: its id, its cluster's id and the members it knows, with the addresses this node
 * uses to reach them. Assigned once by discovery, then read back from disk on every start.
 */
public record Identity(long nodeId, long clusterId, long tempId, List<Member> members) {

  /** One member of the cluster. */
  public record Member(long id, String peerAddr, String clientAddr) {}

  public Identity {
    members = members.stream().sorted(Comparator.comparingLong(Member::id)).toList();
    if (nodeId <= 0 || clusterId == 0) {
      throw new IllegalArgumentException(
          "invalid identity nodeId=" + nodeId + " clusterId=" + clusterId);
    }
    if (members.stream().noneMatch(m -> m.id() == nodeId)) {
      throw new IllegalArgumentException("node " + nodeId + " is not among its members " + members);
    }
  }

  public Member self() {
    return member(nodeId);
  }

  public Member member(long id) {
    for (Member m : members) {
      if (m.id() == id) {
        return m;
      }
    }
    throw new IllegalArgumentException("no member " + id);
  }

  public List<Long> memberIds() {
    List<Long> ids = new ArrayList<>();
    members.forEach(m -> ids.add(m.id()));
    return ids;
  }

  /** Peer addresses of every member but this node, by id. */
  public Map<Long, String> peerAddresses() {
    Map<Long, String> peers = new TreeMap<>();
    for (Member m : members) {
      if (m.id() != nodeId) {
        peers.put(m.id(), m.peerAddr());
      }
    }
    return peers;
  }

  public byte[] encode() {
    NodeIdentity.Builder b =
        NodeIdentity.newBuilder().setNodeId(nodeId).setClusterId(clusterId).setTempId(tempId);
    for (Member m : members) {
      b.addMembers(
          MemberInfo.newBuilder()
              .setId(m.id())
              .setPeerAddr(m.peerAddr())
              .setClientAddr(m.clientAddr()));
    }
    return b.build().toByteArray();
  }

  public static Identity decode(byte[] bytes) {
    NodeIdentity p;
    try {
      p = NodeIdentity.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored node identity is unreadable", e);
    }
    List<Member> members = new ArrayList<>();
    for (MemberInfo m : p.getMembersList()) {
      members.add(new Member(m.getId(), m.getPeerAddr(), m.getClientAddr()));
    }
    return new Identity(p.getNodeId(), p.getClusterId(), p.getTempId(), members);
  }

  public String clusterIdHex() {
    return Long.toHexString(clusterId);
  }
}
