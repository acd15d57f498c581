package dev.ballot.metrics;

import dev.ballot.kv.KvStore;
import dev.ballot.membership.AppliedMembership;
import dev.ballot.membership.Membership;
import dev.ballot.node.NodeStatus;
import dev.ballot.node.RaftDriver;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.Role;
import dev.ballot.storage.RocksDbRaftStorage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's state as gauges, read when scraped; and, on the leader, each follower's replication
 * (match index, lag, appends in flight), sampled from the core by {@link #sampleFollowers()}.
 */
public final class NodeGauges {
  /** One follower as the leader's core sees it. */
  record FollowerProgress(Membership.Member member, long matchIndex, int inflight) {}

  private final RaftDriver<?> driver;
  private final AppliedMembership members;
  private final MultiGauge followerMatch;
  private final MultiGauge followerLag;
  private final MultiGauge followerInflight;
  private final AtomicBoolean sampling = new AtomicBoolean();

  private NodeGauges(RaftDriver<?> driver, AppliedMembership members, MeterRegistry registry) {
    this.driver = driver;
    this.members = members;
    followerMatch =
        MultiGauge.builder("ballot.raft.follower.match.index")
            .description("On the leader: how far each follower's log is known to match")
            .register(registry);
    followerLag =
        MultiGauge.builder("ballot.raft.follower.lag.entries")
            .description("On the leader: entries each follower is behind the leader's log")
            .register(registry);
    followerInflight =
        MultiGauge.builder("ballot.raft.follower.inflight.messages")
            .description("On the leader: append messages sent to each follower, not yet answered")
            .register(registry);
  }

  public static NodeGauges bind(
      MeterRegistry registry,
      RaftDriver<?> driver,
      AppliedMembership members,
      KvStore kv,
      RocksDbRaftStorage storage,
      LongSupplier dbSizeBytes) {
    status(registry, driver, "ballot.raft.term", "The current Raft term", NodeStatus::term);
    status(
        registry,
        driver,
        "ballot.raft.has.leader",
        "1 if this node knows a leader",
        s -> s.leaderId() != RaftNode.NONE ? 1 : 0);
    status(
        registry,
        driver,
        "ballot.raft.is.leader",
        "1 if this node is the leader",
        s -> s.role() == Role.LEADER ? 1 : 0);
    status(
        registry,
        driver,
        "ballot.raft.leader.id",
        "The member id of the leader this node knows (0: none)",
        NodeStatus::leaderId);
    status(
        registry,
        driver,
        "ballot.raft.commit.index",
        "The highest log index known committed",
        NodeStatus::commitIndex);
    status(
        registry,
        driver,
        "ballot.raft.last.index",
        "The last index of this node's log",
        NodeStatus::lastIndex);
    Gauge.builder("ballot.raft.applied.index", driver, RaftDriver::appliedIndex)
        .description("The last log index applied to the state machine")
        .strongReference(true)
        .register(registry);
    Gauge.builder("ballot.raft.snapshot.index", storage, RocksDbRaftStorage::snapshotIndex)
        .description("The index of this node's newest snapshot (0: none)")
        .strongReference(true)
        .register(registry);
    Gauge.builder("ballot.kv.revision", kv, KvStore::revision)
        .description("The key-value store's revision")
        .strongReference(true)
        .register(registry);
    Gauge.builder("ballot.kv.compact.revision", kv, KvStore::compactRevision)
        .description("The revision the history is compacted to")
        .strongReference(true)
        .register(registry);
    Gauge.builder("ballot.db.size", dbSizeBytes, LongSupplier::getAsLong)
        .description("Bytes of the RocksDB instance on disk")
        .baseUnit("bytes")
        .strongReference(true)
        .register(registry);
    Gauge.builder("ballot.members", members, m -> m.members().members().size())
        .description("Members of the cluster, learners included")
        .strongReference(true)
        .register(registry);
    return new NodeGauges(driver, members, registry);
  }

  private static void status(
      MeterRegistry registry,
      RaftDriver<?> driver,
      String name,
      String description,
      ToDoubleFunction<NodeStatus> value) {
    Gauge.builder(name, driver, d -> value.applyAsDouble(d.status()))
        .description(description)
        .strongReference(true)
        .register(registry);
  }

  /**
   * Asks the core (on the driver thread) for each follower's progress and updates the per-follower
   * gauges on {@code executor}: set on the leader, empty elsewhere. Never waits; one ask at a time.
   */
  public void sampleFollowers(Executor executor) {
    if (!sampling.compareAndSet(false, true)) {
      return; // the last ask is still waiting for a busy driver
    }
    Membership membership = members.members();
    driver
        .call(
            node -> {
              List<FollowerProgress> out = new ArrayList<>();
              if (node.role() != Role.LEADER) {
                return out;
              }
              for (Membership.Member m : membership.members()) {
                if (m.id() != node.id()) {
                  out.add(new FollowerProgress(m, node.matchIndex(m.id()), node.inflight(m.id())));
                }
              }
              return out;
            })
        .orTimeout(5, TimeUnit.SECONDS)
        .whenCompleteAsync(
            (progress, error) -> {
              sampling.set(false);
              // Stopping, or a stalled driver: no rows rather than stale ones.
              update(error == null ? progress : List.of());
            },
            executor);
  }

  private void update(List<FollowerProgress> progress) {
    long last = driver.status().lastIndex();
    List<MultiGauge.Row<?>> match = new ArrayList<>();
    List<MultiGauge.Row<?>> lag = new ArrayList<>();
    List<MultiGauge.Row<?>> inflight = new ArrayList<>();
    for (FollowerProgress p : progress) {
      Tags tags =
          Tags.of("member_id", Long.toString(p.member().id()), "member", p.member().displayName());
      match.add(MultiGauge.Row.of(tags, p.matchIndex()));
      lag.add(MultiGauge.Row.of(tags, Math.max(0, last - p.matchIndex())));
      inflight.add(MultiGauge.Row.of(tags, p.inflight()));
    }
    followerMatch.register(match, true);
    followerLag.register(lag, true);
    followerInflight.register(inflight, true);
  }
}
