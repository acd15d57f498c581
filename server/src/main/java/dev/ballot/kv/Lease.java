package dev.ballot.kv;

/**
 * A lease as the replicated state holds it: its id and the TTL it was granted with. When it expires
 * is the leader's business (in memory, from its own clock), not the state's.
 */
public record Lease(long id, long grantedTtlSeconds) {}
