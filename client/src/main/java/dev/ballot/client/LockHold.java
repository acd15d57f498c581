package dev.ballot.client;

/**
 * A lock held: etcd's lock key {@code NAME/<lease hex>}, which exists as long as the lock is held
 * (and its lease lives).
 *
 * @param key the lock key; {@link Locks#unlock} takes it
 * @param revision the store revision when the lock was acquired (etcdctl's ETCD_LOCK_REV)
 * @param fencingToken the lock key's create revision: larger for every later holder of the same
 *     lock, so a resource that refuses a token smaller than one it has accepted refuses a holder
 *     whose lock has passed to someone else
 */
public record LockHold(byte[] key, long revision, long fencingToken) {}
