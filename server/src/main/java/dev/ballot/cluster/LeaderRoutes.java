package dev.ballot.cluster;

import dev.ballot.membership.AppliedMembership;
import dev.ballot.node.RaftDriver;
import dev.ballot.transport.PeerChannels;

/**
 * The production wiring of the leader route: one timer thread, the router, the gRPC link over the
 * peer channel pool, the leader side of membership changes and the learner promoter. The KV write
 * path ({@link KvWrites}) is built on {@link #router()} and {@link #link()} by the client API,
 * which owns the quota.
 */
public final class LeaderRoutes implements AutoCloseable {
  private final ExecutorTaskTimer timer;
  private final LeaderRouter router;
  private final LeaderLink link;
  private final MembershipChanges membershipChanges;
  private final MembershipRequests membershipRequests;
  private final LearnerPromoter promoter;
  private final PeerChannels channels;

  private LeaderRoutes(
      ExecutorTaskTimer timer,
      LeaderRouter router,
      LeaderLink link,
      MembershipChanges membershipChanges,
      MembershipRequests membershipRequests,
      LearnerPromoter promoter,
      PeerChannels channels) {
    this.timer = timer;
    this.channels = channels;
    this.router = router;
    this.link = link;
    this.membershipChanges = membershipChanges;
    this.membershipRequests = membershipRequests;
    this.promoter = promoter;
  }

  /** Builds the route and starts promoting caught-up learners while this node leads. */
  public static LeaderRoutes start(
      RaftDriver<?> driver,
      AppliedMembership members,
      PeerChannels channels,
      long electionTimeoutMs) {
    ExecutorTaskTimer timer = new ExecutorTaskTimer("leader-route-" + members.selfId());
    LeaderRouter router =
        LeaderRouter.forElectionTimeout(LeaderView.of(driver), timer, electionTimeoutMs);
    LeaderLink link = new GrpcLeaderLink(channels, members::peerAddress, timer);
    MembershipChanges changes =
        MembershipChanges.forElectionTimeout(driver, members, timer, electionTimeoutMs);
    LearnerPromoter promoter = new LearnerPromoter(driver, changes, timer);
    promoter.start();
    return new LeaderRoutes(
        timer,
        router,
        link,
        changes,
        MembershipRequests.forElectionTimeout(
            router, changes, link, members.clusterId(), driver, timer, electionTimeoutMs),
        promoter,
        channels);
  }

  /** The node's one pool of channels to other nodes (peer ports, and leaders' client ports). */
  public PeerChannels channels() {
    return channels;
  }

  public TaskTimer timer() {
    return timer;
  }

  public LeaderRouter router() {
    return router;
  }

  public LeaderLink link() {
    return link;
  }

  public MembershipChanges membershipChanges() {
    return membershipChanges;
  }

  public MembershipRequests membershipRequests() {
    return membershipRequests;
  }

  @Override
  public void close() {
    promoter.stop();
    timer.close();
  }
}
