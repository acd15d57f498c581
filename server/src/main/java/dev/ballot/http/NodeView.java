package dev.ballot.http;

import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Membership;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.raft.Role;
import dev.ballot.storage.RocksDbRaftStorage;
import java.util.Optional;
import java.util.function.LongSupplier;

/** What the HTTP port reads of its node, without going through the client port. */
public record NodeView(
    long nodeId,
    long clusterId,
    String clientAddr,
    RaftDriver<?> driver,
    AppliedMembership members,
    KvStore kv,
    RocksDbRaftStorage storage,
    LongSupplier dbSizeBytes) {

  NodeStatus status() {
    return driver.status();
  }

  Optional<Membership.Member> member(long id) {
    return members.members().member(id);
  }

  /** The member's name, or null for id 0 (no leader) or an id that is not a member. */
  String nameOf(long id) {
    return id == 0 ? null : member(id).map(Membership.Member::displayName).orElse(null);
  }

  /** This node's role in lower case, {@code learner} for a learner. */
  String role() {
    if (member(nodeId).map(Membership.Member::learner).orElse(false)) {
      return "learner";
    }
    return roleName(status().role());
  }

  static String roleName(Role role) {
    return switch (role) {
      case LEADER -> "leader";
      case CANDIDATE -> "candidate";
      case PRE_CANDIDATE -> "precandidate";
      case FOLLOWER -> "follower";
    };
  }
}
