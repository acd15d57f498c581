package dev.ballot.client;

/**
 * A granted lease.
 *
 * @param id its id
 * @param ttlSeconds the TTL granted (the one asked for, or the server's minimum if that is more)
 * @param revision the store revision when it was granted
 */
public record LeaseGrant(long id, long ttlSeconds, long revision) {}
