package dev.ballot.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;

/**
 * The peers this node may talk to and where they listen. Members are added as soon as a
 * configuration entry naming them reaches the log (so the leader can replicate to a new learner at
 * once) and forgotten when a committed configuration removes them. Thread-safe: the driver, the
 * apply thread and gRPC threads all use it.
 */
public final class PeerDirectory {
  /** How a refusal tells a node that it was removed (the sender watches for this prefix). */
  public static final String REMOVED_PREFIX = "ballot: removed: ";

  private final long selfId;
  private final String selfPeerAddr;
  private final Map<Long, String> addresses = new ConcurrentHashMap<>();
  private volatile LongPredicate removed = id -> false;

  public PeerDirectory(long selfId, String selfPeerAddr, Map<Long, String> peers) {
    this.selfId = selfId;
    this.selfPeerAddr = selfPeerAddr;
    peers.forEach(this::add);
  }

  public long selfId() {
    return selfId;
  }

  /** Where this node listens for peers (sent to peers that may not know it yet). */
  public String selfPeerAddr() {
    return selfPeerAddr;
  }

  /** Learns a member's peer address (never this node's, never a removed node's). */
  public void add(long id, String peerAddr) {
    if (id != selfId && !removed.test(id)) {
      addresses.putIfAbsent(id, peerAddr);
    }
  }

  /**
   * Records a member's peer address from a configuration entry, which is authoritative: it replaces
   * what an earlier entry (perhaps one a new leader discarded) or an introduction said.
   */
  public void set(long id, String peerAddr) {
    if (id != selfId && !removed.test(id)) {
      addresses.put(id, peerAddr);
    }
  }

  /** Forgets {@code id} (a member only of a configuration entry that was discarded). */
  public void forget(long id) {
    addresses.remove(id);
  }

  /**
   * Sets the rule that says a node was removed by a committed configuration, and forgets the peers
   * it names.
   */
  public void removedWhen(LongPredicate rule) {
    this.removed = rule;
    forgetRemoved();
  }

  /** Forgets every peer the removal rule names (call it when the rule's answers change). */
  public void forgetRemoved() {
    LongPredicate rule = removed;
    addresses.keySet().removeIf(rule::test);
  }

  /** The peer address of {@code id}, or null if it is not a known peer. */
  public String address(long id) {
    return addresses.get(id);
  }

  /**
   * Whether this node accepts Raft traffic from {@code id}. A removed node is never among the
   * addresses ({@link #add} refuses it, and a removal forgets it), so this is one lookup per
   * message.
   */
  public boolean isPeer(long id) {
    return id != selfId && addresses.containsKey(id);
  }

  /** Whether {@code id} was removed from the cluster by a committed configuration. */
  public boolean isRemoved(long id) {
    return removed.test(id);
  }

  /** The refusal a removed node gets. */
  public String removedMessage(long id) {
    return REMOVED_PREFIX
        + "node "
        + id
        + " was removed from the cluster; it cannot rejoin with its old data";
  }
}
