package dev.ballot.node;

import dev.ballot.raft.Role;

/** A consistent view of the node's Raft state for status endpoints; published by the driver. */
public record NodeStatus(
    long nodeId, Role role, long leaderId, long term, long commitIndex, long lastIndex) {}
