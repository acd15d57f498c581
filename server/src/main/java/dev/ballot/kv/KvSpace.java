package dev.ballot.kv;

/**
 * The two key spaces of the store: the user's keys (each with its record) and the store's own
 * metadata (applied index, revision, configuration, alarms). Both order keys bytewise, unsigned.
 */
public enum KvSpace {
  DATA,
  META
}
