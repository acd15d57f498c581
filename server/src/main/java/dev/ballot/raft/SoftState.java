package dev.ballot.raft;

/** Volatile state worth showing to operators; it is never persisted. */
public record SoftState(Role role, long leaderId) {}
