package dev.ballot.client;

import java.util.List;

/**
 * What one node says about itself (etcd's Maintenance.Status).
 *
 * @param endpoint the address asked, host:port
 * @param memberId the node's member id
 * @param leaderId the member id of the leader the node knows of, 0 for none
 * @param raftTerm the node's current Raft term
 * @param raftIndex the node's Raft commit index
 * @param raftAppliedIndex the last index the node applied to its state machine
 * @param dbSizeBytes the size of the node's data on disk
 * @param dbSizeInUseBytes the part of it that holds live data (the rest is held by deleted,
 *     overwritten or compacted data until the store compacts); an estimate
 * @param version the server's version string
 * @param errors alarms and problems the node reports
 * @param isLearner whether the node is a non-voting learner
 * @param snapshotIndex the Raft index of the node's newest snapshot, 0 if none or if the server is
 *     not Ballot (a Ballot extension of etcd's StatusResponse)
 */
public record EndpointStatus(
    String endpoint,
    long memberId,
    long leaderId,
    long raftTerm,
    long raftIndex,
    long raftAppliedIndex,
    long dbSizeBytes,
    long dbSizeInUseBytes,
    String version,
    List<String> errors,
    boolean isLearner,
    long snapshotIndex) {

  /**
   * Freezes the list.
   *
   * @param endpoint see the record description
   * @param memberId see the record description
   * @param leaderId see the record description
   * @param raftTerm see the record description
   * @param raftIndex see the record description
   * @param raftAppliedIndex see the record description
   * @param dbSizeBytes see the record description
   * @param dbSizeInUseBytes see the record description
   * @param version see the record description
   * @param errors see the record description
   * @param isLearner see the record description
   * @param snapshotIndex see the record description
   */
  public EndpointStatus {
    errors = List.copyOf(errors);
  }

  /**
   * Whether this node is the leader it reports.
   *
   * @return true when the node's id is the known leader's id
   */
  public boolean isLeader() {
    return leaderId != 0 && memberId == leaderId;
  }
}
