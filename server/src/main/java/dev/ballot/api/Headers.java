package dev.ballot.api;

import dev.ballot.etcd.api.ResponseHeader;
import dev.ballot.membership.Identity;
import dev.ballot.node.RaftDriver;

/** Fills the {@link ResponseHeader} every etcd response carries. */
final class Headers {
  private final Identity identity;
  private final RaftDriver<?> driver;

  Headers(Identity identity, RaftDriver<?> driver) {
    this.identity = identity;
    this.driver = driver;
  }

  ResponseHeader header(long revision) {
    return ResponseHeader.newBuilder()
        .setClusterId(identity.clusterId())
        .setMemberId(identity.nodeId())
        .setRevision(revision)
        .setRaftTerm(driver.status().term())
        .build();
  }
}
