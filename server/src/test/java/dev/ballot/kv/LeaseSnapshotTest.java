package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static dev.ballot.kv.KvStoreLeaseTest.grant;
import static dev.ballot.kv.KvStoreLeaseTest.revoke;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.kv.proto.Command;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.SnapshotMeta;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A snapshot carries the leases and their keys: a node that installs one can revoke them. */
class LeaseSnapshotTest {
  private static final ClusterConfig INITIAL = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  private static final class Node {
    final InMemoryKvEngine engine = new InMemoryKvEngine();
    final KvStore store = new KvStore(engine);
    final InMemoryKvSnapshots snapshots = new InMemoryKvSnapshots(store, engine, INITIAL, null);

    ApplyResult apply(Command command) {
      return store.apply(store.appliedIndex() + 1, command);
    }
  }

  @Test
  void installedSnapshotHoldsTheLeasesAndTheirKeys() throws KvException {
    Node leader = new Node();
    leader.apply(grant(7, 30));
    leader.apply(grant(8, 10));
    leader.apply(command(putRequest("a", "1").setLease(7)));
    leader.apply(command(putRequest("b", "1").setLease(8)));
    SnapshotMeta meta = leader.snapshots.take(index -> 1);
    Node follower = new Node();
    follower.apply(grant(99, 5)); // replaced by the snapshot

    follower.snapshots.stage(meta, leader.snapshots.newest());
    new KvStateMachine(follower.store, follower.snapshots).installSnapshot(meta);

    assertThat(follower.store.leases()).containsExactly(new Lease(7, 30), new Lease(8, 10));
    assertThat(follower.store.leaseKeys(7)).containsExactly("a".getBytes(UTF_8));
    // Both go on alike from the same state.
    ApplyResult onLeader = leader.apply(revoke(7));
    ApplyResult onFollower = follower.apply(revoke(7));
    assertThat(onFollower.response()).isEqualTo(onLeader.response());
    assertThat(follower.store.hash(0)).isEqualTo(leader.store.hash(0));
    assertThat(follower.store.leases()).containsExactly(new Lease(8, 10));
  }
}
