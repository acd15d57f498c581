package dev.ballot.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.proto.raft.v1.NodeIdentity;
import dev.ballot.storage.StorageCorruptionException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Who this node is: its id, its cluster's id, and the members it was told of when it got its id (by
 * bootstrap discovery, or by the leader when it registered). The live member list comes from the
 * log afterwards; this one is only the configuration before the first configuration entry. Written
 * once, then read back on every start; {@code removed} is set when the node learns it was removed
 * from the cluster, after which it never runs again on this data.
 *
 * <p>Stored as {@code 0xB1 | crc32c(4) | NodeIdentity proto}, the checksum covering the proto; an
 * identity written before the checksum existed (a bare proto, whose first byte is a field tag and
 * never 0xB1) is still read.
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

  private static final byte FORMAT_CHECKED = (byte) 0xB1;
  private static final int HEADER_BYTES = 1 + Integer.BYTES;

  public byte[] encode() {
    byte[] proto = toProto().toByteArray();
    return ByteBuffer.allocate(HEADER_BYTES + proto.length)
        .put(FORMAT_CHECKED)
        .putInt(crc(proto, 0))
        .put(proto)
        .array();
  }

  private NodeIdentity toProto() {
    return NodeIdentity.newBuilder()
        .setNodeId(nodeId)
        .setClusterId(clusterId)
        .setTempId(tempId)
        .addAllMembers(initialMembership.toProto().getMembersList())
        .setMaxNodeId(initialMembership.maxNodeId())
        .setRemoved(removed)
        .build();
  }

  /**
   * @throws StorageCorruptionException if the bytes fail their checksum or do not parse
   */
  public static Identity decode(byte[] bytes) {
    int offset = 0;
    if (bytes.length > 0 && bytes[0] == FORMAT_CHECKED) {
      if (bytes.length < HEADER_BYTES) {
        throw corrupt("it has " + bytes.length + " bytes, fewer than its header", null);
      }
      int stored = ByteBuffer.wrap(bytes, 1, Integer.BYTES).getInt();
      if (stored != crc(bytes, HEADER_BYTES)) {
        throw corrupt("checksum mismatch", null);
      }
      offset = HEADER_BYTES;
    }
    NodeIdentity p;
    try {
      p = NodeIdentity.parseFrom(ByteBuffer.wrap(bytes, offset, bytes.length - offset));
    } catch (InvalidProtocolBufferException e) {
      throw corrupt("unreadable: " + e.getMessage(), e);
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
    try {
      return new Identity(p.getNodeId(), p.getClusterId(), p.getTempId(), members, p.getRemoved());
    } catch (IllegalArgumentException e) {
      throw corrupt(e.getMessage(), e);
    }
  }

  private static int crc(byte[] bytes, int from) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, from, bytes.length - from);
    return (int) crc.getValue();
  }

  private static StorageCorruptionException corrupt(String why, Throwable cause) {
    return new StorageCorruptionException("stored node identity is corrupt: " + why, cause);
  }

  public String clusterIdHex() {
    return Long.toHexString(clusterId);
  }
}
