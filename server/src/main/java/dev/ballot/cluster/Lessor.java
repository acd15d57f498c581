package dev.ballot.cluster;

import dev.ballot.etcd.api.LeaseRevokeRequest;
import dev.ballot.kv.KvStore;
import dev.ballot.kv.Lease;
import dev.ballot.kv.proto.Command;
import dev.ballot.node.NodeStatus;
import dev.ballot.raft.Role;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When leases expire: decided by the leader alone, from its own clock, as etcd's lessor. The
 * replicated state holds which leases exist and their granted TTLs; this holds, in memory and only
 * while this node leads, when each expires. A keep-alive moves that to now + TTL without a log
 * entry. When a lease expires, the leader proposes its revoke through the log, and tries again
 * after {@link #REVOKE_RETRY_MS} while it still exists.
 *
 * <p>Becoming leader ("promote") starts every lease afresh: its expiry is first set to now + its
 * granted TTL when this node first sees it as leader, so that a failover never expires a lease
 * before a full TTL has passed since the last keep-alive the old leader took. Leadership is read
 * from the driver's status at every call and scan; a new term of this node's leadership forgets
 * every expiry of the last one.
 *
 * <p>Threads: any; every method holds the lock only for memory work and store reads, never while
 * waiting.
 */
public final class Lessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lessor.class);

  /** How often the leader looks for expired leases. */
  public static final long SCAN_INTERVAL_MS = 100;

  /** How long a proposed revoke may stay unapplied before the lease is revoked again. */
  static final long REVOKE_RETRY_MS = 3_000;

  private final Supplier<NodeStatus> status;
  private final KvStore store;
  private final Function<Command, CompletableFuture<?>> propose;
  private final TaskTimer timer;

  private final Object lock = new Object();

  /** The term this node leads and the expiries below belong to; 0 while it does not lead. */
  private long primaryTerm;

  private final Map<Long, Long> expiryNanos = new HashMap<>();
  private final Map<Long, Long> revokeProposedNanos = new HashMap<>();

  private volatile TaskTimer.Scheduled nextScan;
  private volatile boolean closed;

  /**
   * @param status this node's role and term
   * @param propose proposes a command through the log (a revoke), completing when it applied
   */
  public Lessor(
      Supplier<NodeStatus> status,
      KvStore store,
      Function<Command, CompletableFuture<?>> propose,
      TaskTimer timer) {
    this.status = status;
    this.store = store;
    this.propose = propose;
    this.timer = timer;
  }

  /** Starts looking for expired leases every {@link #SCAN_INTERVAL_MS} while this node leads. */
  public void start() {
    nextScan = timer.schedule(this::scanAndReschedule, SCAN_INTERVAL_MS);
  }

  /** What a keep-alive or a TTL query answers about one lease. */
  public record Remaining(long grantedTtlSeconds, long remainingSeconds) {}

  /**
   * Renews {@code id} on the leader: it expires a granted TTL from now.
   *
   * @return the granted TTL in seconds, or 0 if the lease does not exist (or expired, its revoke
   *     under way), as etcd's keep-alive answers
   * @throws IllegalStateException if this node does not lead (the caller asks the leader)
   */
  public long renew(long id) {
    Lease lease = store.lease(id);
    synchronized (lock) {
      long now = checkPrimary();
      if (lease == null) {
        return 0;
      }
      Long expiry = expiryNanos.get(id);
      if (expiry != null && expiry - now <= 0) {
        return 0; // expired: its revoke is proposed; etcd answers such a keep-alive "not found"
      }
      expiryNanos.put(id, now + TimeUnit.SECONDS.toNanos(lease.grantedTtlSeconds()));
      return lease.grantedTtlSeconds();
    }
  }

  /**
   * The lease's remaining TTL by this leader's clock, in whole seconds (rounded down, as etcd's),
   * or null if it does not exist.
   *
   * @throws IllegalStateException if this node does not lead
   */
  public Remaining remaining(long id) {
    Lease lease = store.lease(id);
    synchronized (lock) {
      long now = checkPrimary();
      if (lease == null) {
        return null;
      }
      long expiry = expiryOf(lease, now);
      return new Remaining(
          lease.grantedTtlSeconds(), Math.max(0, TimeUnit.NANOSECONDS.toSeconds(expiry - now)));
    }
  }

  /** Whether this node leads, so that its clock decides expiries. */
  public boolean isPrimary() {
    synchronized (lock) {
      return syncRole() != 0;
    }
  }

  private long checkPrimary() {
    if (syncRole() == 0) {
      throw new IllegalStateException("not the leader; lease expiries are the leader's");
    }
    return timer.nowNanos();
  }

  /** Follows the driver's role; returns the term led, or 0. Under the lock. */
  private long syncRole() {
    NodeStatus now = status.get();
    long term = now.role() == Role.LEADER ? now.term() : 0;
    if (term != primaryTerm) {
      expiryNanos.clear();
      revokeProposedNanos.clear();
      if (term != 0) {
        log.info("lessor promoted term={} leases start afresh", term);
      } else if (primaryTerm != 0) {
        log.info("lessor demoted term={}", primaryTerm);
      }
      primaryTerm = term;
    }
    return term;
  }

  /** The lease's expiry; a lease this leader has not seen yet starts now. Under the lock. */
  private long expiryOf(Lease lease, long now) {
    return expiryNanos.computeIfAbsent(
        lease.id(), id -> now + TimeUnit.SECONDS.toNanos(lease.grantedTtlSeconds()));
  }

  private void scanAndReschedule() {
    if (closed) {
      return;
    }
    try {
      scan();
    } catch (RuntimeException e) {
      log.error("lease expiry scan failed; trying again", e);
    }
    nextScan = timer.schedule(this::scanAndReschedule, SCAN_INTERVAL_MS);
  }

  /** Proposes the revoke of every lease that expired, if this node leads. */
  void scan() {
    if (!isPrimary()) {
      return;
    }
    var leases = store.leases();
    Set<Long> expired = new TreeSet<>(); // revokes reach the log in id order
    synchronized (lock) {
      if (syncRole() == 0) {
        return;
      }
      long now = timer.nowNanos();
      Set<Long> existing = new HashSet<>();
      for (Lease lease : leases) {
        existing.add(lease.id());
        if (expiryOf(lease, now) - now > 0) {
          continue;
        }
        Long proposed = revokeProposedNanos.get(lease.id());
        if (proposed == null || now - proposed >= TimeUnit.MILLISECONDS.toNanos(REVOKE_RETRY_MS)) {
          revokeProposedNanos.put(lease.id(), now);
          expired.add(lease.id());
        }
      }
      expiryNanos.keySet().retainAll(existing);
      revokeProposedNanos.keySet().retainAll(existing);
    }
    for (long id : expired) {
      log.info("lease expired; revoking id={}", id);
      Command revoke =
          Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)).build();
      propose
          .apply(revoke)
          .whenComplete(
              (ok, error) -> {
                if (error != null) {
                  log.info(
                      "revoke of an expired lease failed id={} error={}", id, error.toString());
                }
              });
    }
  }

  @Override
  public void close() {
    closed = true;
    TaskTimer.Scheduled scan = nextScan;
    if (scan != null) {
      scan.cancel();
    }
  }
}
