package dev.ballot.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.ballot.proto.raft.v1.MemberInfo;
import dev.ballot.proto.raft.v1.MembershipState;
import dev.ballot.raft.ClusterConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The members of a cluster with their addresses, as every node learns them from the committed
 * configuration entries (whose context this is), and the highest node id ever given out: ids are
 * never reused, so a removed node can always be told apart from one that has yet to join.
 */
public record Membership(List<Member> members, long maxNodeId) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  /**
   * Whether {@code name} may be a member's name: letters, digits, '.', '_' and '-', starting with a
   * letter or digit, at most 63 ("" too: a member started without one). It reads the same in a
   * table, a URL, a log line and a metric label.
   */
  public static boolean isValidName(String name) {
    return name.isEmpty() || NAME.matcher(name).matches();
  }

  /**
   * One member. {@code tempId} is the random id it registered (or bootstrapped) with; {@code name}
   * is its {@code --name} from its first start, "" when it had none.
   */
  public record Member(
      long id, String peerAddr, String clientAddr, boolean learner, long tempId, String name) {
    public Member(long id, String peerAddr, String clientAddr, boolean learner, long tempId) {
      this(id, peerAddr, clientAddr, learner, tempId, "");
    }

    public Member {
      name = name == null ? "" : name;
    }

    /** The name clients see: its {@code --name}, or {@code node<id>} for a node started without. */
    public String displayName() {
      return name.isEmpty() ? "node" + id : name;
    }

    Member withLearner(boolean isLearner) {
      return new Member(id, peerAddr, clientAddr, isLearner, tempId, name);
    }

    Member withPeerAddr(String addr) {
      return new Member(id, addr, clientAddr, learner, tempId, name);
    }
  }

  public Membership {
    members = members.stream().sorted(Comparator.comparingLong(Member::id)).toList();
    for (Member m : members) {
      if (m.id() <= 0 || m.id() > maxNodeId) {
        throw new IllegalArgumentException(
            "member id " + m.id() + " outside 1.." + maxNodeId + " in " + members);
      }
    }
    if (members.stream().map(Member::id).distinct().count() != members.size()) {
      throw new IllegalArgumentException("duplicate member id in " + members);
    }
  }

  /** The Raft configuration these members form. */
  public ClusterConfig config() {
    List<Long> voters = new ArrayList<>();
    List<Long> learners = new ArrayList<>();
    for (Member m : members) {
      (m.learner() ? learners : voters).add(m.id());
    }
    return new ClusterConfig(voters, learners);
  }

  public Optional<Member> member(long id) {
    return members.stream().filter(m -> m.id() == id).findFirst();
  }

  public boolean contains(long id) {
    return member(id).isPresent();
  }

  /** Whether {@code id} was a member once and is not any more. */
  public boolean removed(long id) {
    return id > 0 && id <= maxNodeId && !contains(id);
  }

  public Optional<Member> byTempId(long tempId) {
    return members.stream().filter(m -> m.tempId() == tempId).findFirst();
  }

  /** Peer addresses of every member but {@code self}, by id. */
  public Map<Long, String> peerAddresses(long self) {
    Map<Long, String> peers = new TreeMap<>();
    for (Member m : members) {
      if (m.id() != self) {
        peers.put(m.id(), m.peerAddr());
      }
    }
    return peers;
  }

  /** These members and a new learner with the next node id. */
  public Membership withLearner(String peerAddr, String clientAddr, long tempId, String name) {
    List<Member> next = new ArrayList<>(members);
    next.add(new Member(maxNodeId + 1, peerAddr, clientAddr, true, tempId, name));
    return new Membership(next, maxNodeId + 1);
  }

  /** These members with learner {@code id} made a voter. */
  public Membership promoted(long id) {
    List<Member> next = new ArrayList<>();
    for (Member m : members) {
      next.add(m.id() == id ? m.withLearner(false) : m);
    }
    return new Membership(next, maxNodeId);
  }

  /** These members with member {@code id}'s peer port at {@code peerAddr}. */
  public Membership withPeerAddr(long id, String peerAddr) {
    List<Member> next = new ArrayList<>();
    for (Member m : members) {
      next.add(m.id() == id ? m.withPeerAddr(peerAddr) : m);
    }
    return new Membership(next, maxNodeId);
  }

  /** These members without {@code id}. */
  public Membership without(long id) {
    return new Membership(members.stream().filter(m -> m.id() != id).toList(), maxNodeId);
  }

  public MembershipState toProto() {
    MembershipState.Builder b = MembershipState.newBuilder().setMaxNodeId(maxNodeId);
    for (Member m : members) {
      b.addMembers(
          MemberInfo.newBuilder()
              .setId(m.id())
              .setPeerAddr(m.peerAddr())
              .setClientAddr(m.clientAddr())
              .setLearner(m.learner())
              .setTempId(m.tempId())
              .setName(m.name()));
    }
    return b.build();
  }

  public byte[] encode() {
    return toProto().toByteArray();
  }

  public static Membership fromProto(MembershipState p) {
    List<Member> members = new ArrayList<>();
    for (MemberInfo m : p.getMembersList()) {
      members.add(
          new Member(
              m.getId(),
              m.getPeerAddr(),
              m.getClientAddr(),
              m.getLearner(),
              m.getTempId(),
              m.getName()));
    }
    return new Membership(members, p.getMaxNodeId());
  }

  /**
   * @throws IllegalArgumentException if the bytes are not a membership
   */
  public static Membership decode(byte[] bytes) {
    try {
      return fromProto(MembershipState.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("unreadable membership: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("[");
    for (Member m : members) {
      if (s.length() > 1) {
        s.append(", ");
      }
      s.append(m.id()).append(m.learner() ? "(learner)" : "").append('@').append(m.peerAddr());
    }
    return s.append(']').toString();
  }
}
