package dev.ballot.client;

/**
 * A leadership transfer that completed (etcd's Maintenance.MoveLeader).
 *
 * @param previousLeaderId the member that led when the request was sent
 * @param leaderId the member that leads now, the requested target
 */
public record LeaderTransfer(long previousLeaderId, long leaderId) {}
