package dev.ballot.client;

import java.util.List;

/**
 * One member of the cluster (etcd's Cluster.MemberList).
 *
 * @param id the member id
 * @param name the member's name, empty if it has not started yet
 * @param peerUrls where the other members reach it
 * @param clientUrls where clients reach it
 * @param isLearner whether it is a non-voting learner
 */
public record MemberInfo(
    long id, String name, List<String> peerUrls, List<String> clientUrls, boolean isLearner) {

  /**
   * Freezes the lists.
   *
   * @param id see the record description
   * @param name see the record description
   * @param peerUrls see the record description
   * @param clientUrls see the record description
   * @param isLearner see the record description
   */
  public MemberInfo {
    peerUrls = List.copyOf(peerUrls);
    clientUrls = List.copyOf(clientUrls);
  }
}
