package dev.ballot.raft;

/**
 * A confirmed linearizable read: once this node has applied {@code readIndex}, a read issued with
 * {@code context} may be served from the local state machine.
 */
public record ReadState(long context, long readIndex) {}
