package dev.ballot.membership;

import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.transport.PeerDirectory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed member list (with addresses) this node knows, as the apply thread reports it, and
 * the configurations appended to its log: the transport learns of members as soon as their
 * configuration entry reaches the log. Changes are made on the leader by {@code
 * cluster.MembershipChanges}.
 */
public final class AppliedMembership {
  private static final Logger log = LoggerFactory.getLogger(AppliedMembership.class);

  private static final int RECENT_CONFIGS = 64;

  private final Identity identity;
  private final PeerDirectory peers;
  private final Consumer<String> onSelfRemoved;

  private volatile Membership applied;

  /**
   * The newest configuration appended to the log, and its index; a new leader may still discard it.
   * Guarded by {@code recent}.
   */
  private Membership appended;

  private long appendedIndex;

  /** Recently applied configurations by index, to check that ours is the one that applied. */
  private final Map<Long, Membership> recent =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Membership> eldest) {
          return size() > RECENT_CONFIGS;
        }
      };

  /**
   * The applied membership of a node as it starts: the committed members its state machine holds
   * ({@code appliedConfigEntry}, the last configuration entry applied, else the identity's initial
   * members), and a peer directory that also knows every member of the configuration entries still
   * in its log ({@code logEntries}: appended before a restart, maybe not applied yet).
   *
   * @param appliedConfigEntry a {@code ConfigEntry}'s bytes, or null if none was applied
   */
  public static AppliedMembership restore(
      Identity identity,
      String selfPeerAddr,
      byte[] appliedConfigEntry,
      List<Entry> logEntries,
      Consumer<String> onSelfRemoved) {
    Membership committed =
        appliedConfigEntry == null
            ? identity.initialMembership()
            : Membership.decode(ConfigEntry.decode(appliedConfigEntry).context());
    PeerDirectory peers =
        new PeerDirectory(
            identity.nodeId(), selfPeerAddr, identity.initialMembership().peerAddresses(0));
    for (Entry e : logEntries) {
      if (e.type() == EntryType.CONFIG) {
        Membership.decode(ConfigEntry.decode(e.data()).context())
            .peerAddresses(0)
            .forEach(peers::add);
      }
    }
    return new AppliedMembership(identity, committed, peers, onSelfRemoved);
  }

  /** Where the members' peer ports are, as this node knows them. */
  public PeerDirectory peers() {
    return peers;
  }

  /**
   * @param applied the committed membership the state machine holds now
   * @param onSelfRemoved told once when this node learns that it was removed
   */
  public AppliedMembership(
      Identity identity, Membership applied, PeerDirectory peers, Consumer<String> onSelfRemoved) {
    this.identity = identity;
    this.applied = applied;
    this.peers = peers;
    this.onSelfRemoved = onSelfRemoved;
    peers.removedWhen(id -> this.applied.removed(id));
    applied.peerAddresses(identity.nodeId()).forEach(peers::add);
  }

  /** Tells {@code onSelfRemoved} if the committed membership no longer lists this node. */
  public void start() {
    if (applied.removed(identity.nodeId())) {
      onSelfRemoved.accept("the committed membership no longer lists node " + identity.nodeId());
    }
  }

  public long selfId() {
    return identity.nodeId();
  }

  public long clusterId() {
    return identity.clusterId();
  }

  /** Where member {@code id}'s peer port is, or null if it is not a known peer. */
  public String peerAddress(long id) {
    return peers.address(id);
  }

  /** The configuration applied at {@code index}, if it is among the recent ones (else null). */
  public Membership appliedAt(long index) {
    synchronized (recent) {
      return recent.get(index);
    }
  }

  /** The committed members, as of the last applied configuration. */
  public Membership members() {
    return applied;
  }

  // ------------------------------------------------------------------ listeners

  /** The driver appended a configuration entry: reach its members from now on. */
  public void configAppended(Entry entry) {
    Membership m = Membership.decode(ConfigEntry.decode(entry.data()).context());
    synchronized (recent) {
      if (appended != null) {
        forgetDiscarded(appended, m);
      }
      appended = m;
      appendedIndex = entry.index();
    }
    m.peerAddresses(identity.nodeId()).forEach(peers::set);
  }

  /**
   * Forgets the members only {@code replaced} named: neither {@code replacement} nor the applied
   * membership holds them, so they came from an entry a new leader discarded (a registration that
   * never committed), and a later registration may be given their id with another address.
   */
  private void forgetDiscarded(Membership replaced, Membership replacement) {
    for (long id : replaced.peerAddresses(identity.nodeId()).keySet()) {
      if (!replacement.contains(id) && !applied.contains(id)) {
        peers.forget(id);
      }
    }
  }

  /** The apply thread applied a configuration (entry or snapshot). */
  public void configApplied(long index, byte[] configEntry) {
    Membership next = Membership.decode(ConfigEntry.decode(configEntry).context());
    Membership before = applied;
    applied = next;
    Membership pending;
    synchronized (recent) {
      recent.put(index, next);
      pending = appendedIndex > index ? appended : null;
      if (appended != null && appendedIndex <= index && !appended.equals(next)) {
        // The entry appended last was discarded, and this one (or a snapshot) took its place.
        forgetDiscarded(appended, next);
      }
    }
    next.peerAddresses(identity.nodeId()).forEach(pending == null ? peers::set : peers::add);
    // Only a removal forgets a peer: a node replaying old entries (a joiner catching up) applies
    // configurations older than members it already talks to.
    peers.forgetRemoved();
    if (!before.equals(next)) {
      log.info("membership applied index={} members={}", index, next);
    }
    if (next.removed(identity.nodeId())) {
      onSelfRemoved.accept(
          "the configuration committed at index " + index + " removes node " + identity.nodeId());
    }
  }
}
