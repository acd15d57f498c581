package dev.ballot.kv;

/**
 * The hash of the key-value state (see {@link KvHasher}) and the revision of exactly the state it
 * covers: two nodes at the same revision hold the same data if and only if (barring a CRC32C
 * collision) their hashes are equal. {@code compactRevision} is the store's compacted revision when
 * it was taken.
 */
public record KvHash(int hash, long revision, long compactRevision) {}
