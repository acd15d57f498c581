package dev.ballot.kv;

import static dev.ballot.kv.KvStoreFixture.command;
import static dev.ballot.kv.KvStoreFixture.putRequest;
import static dev.ballot.kv.KvStoreFixture.rangeRequest;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.etcd.mvcc.KeyValue;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.ConfigEntry;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Snapshots over the in-memory engine: taken as images, moved as values, installed whole. */
class InMemoryKvSnapshotsTest {
  private static final ClusterConfig INITIAL = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  /** One node's engine, store and snapshots. */
  private static final class Node {
    final InMemoryKvEngine engine = new InMemoryKvEngine();
    KvStore store = new KvStore(engine);
    InMemoryKvSnapshots snapshots = new InMemoryKvSnapshots(store, engine, INITIAL, null);

    void put(String key, String value) {
      ApplyResult result = store.apply(store.appliedIndex() + 1, command(putRequest(key, value)));
      assertThat(result.error()).isNull();
    }

    List<String> keys() throws KvException {
      return store.range(rangeRequest("\0", "\0").build()).getKvsList().stream()
          .map(kv -> kv.getKey().toStringUtf8())
          .toList();
    }

    /** A power loss and restart: a new store over what the engine kept, the newest image kept. */
    void crashAndRestart(long seed) {
      engine.crash(new Random(seed));
      KvImage newest = snapshots.newest();
      store = new KvStore(engine);
      snapshots = new InMemoryKvSnapshots(store, engine, INITIAL, newest);
    }
  }

  @Test
  void takeRecordsTheStoreAtTheIndexAndMakesTheEngineDurable() throws KvException {
    Node node = new Node();
    node.put("a", "1");
    node.put("b", "2");

    SnapshotMeta meta = node.snapshots.take(index -> 5);
    node.put("c", "3");

    assertThat(meta).isEqualTo(new SnapshotMeta(2, 5, INITIAL));
    assertThat(node.snapshots.newestIndex()).isEqualTo(2);
    KvImage image = node.snapshots.newest();
    assertThat(image.meta()).isEqualTo(meta);
    assertThat(image.revision()).isEqualTo(3);
    assertThat(image.size(KvSpace.DATA)).isEqualTo(2);
    assertThat(image.get(KvSpace.DATA, "c".getBytes(UTF_8))).isNull();

    for (long seed = 0; seed < 20; seed++) {
      node.crashAndRestart(seed);
      assertThat(node.store.appliedIndex()).isGreaterThanOrEqualTo(2);
      assertThat(node.keys()).startsWith("a", "b");
      assertThat(node.snapshots.newestIndex()).isEqualTo(2);
    }
  }

  @Test
  void takeRecordsTheAppliedConfiguration() {
    Node node = new Node();
    ClusterConfig applied = ClusterConfig.ofVoters(List.of(1L, 2L, 3L, 4L));
    node.store.applyConfig(1, new ConfigEntry(applied, null).encode());

    assertThat(node.snapshots.take(index -> 1).config()).isEqualTo(applied);
  }

  @Test
  void takeHoldsTheIndexTheStoreIsAtAndAsksForItsTerm() throws KvException {
    Node node = new Node();
    node.put("a", "1");
    node.put("b", "2");
    List<Long> asked = new ArrayList<>();

    SnapshotMeta meta =
        node.snapshots.take(
            index -> {
              asked.add(index);
              return 4;
            });

    assertThat(asked).containsExactly(2L);
    assertThat(meta).isEqualTo(new SnapshotMeta(2, 4, INITIAL));
  }

  @Test
  void installReplacesTheWholeStateByTheStagedImage() throws KvException {
    Node leader = new Node();
    leader.put("a", "1");
    leader.put("b", "2");
    leader.put("a", "3");
    SnapshotMeta meta = leader.snapshots.take(index -> 2);
    Node follower = new Node();
    follower.put("x", "only here");

    follower.snapshots.stage(meta, leader.snapshots.newest());
    new KvStateMachine(follower.store, follower.snapshots).installSnapshot(meta);

    assertThat(follower.keys()).containsExactly("a", "b");
    assertThat(follower.store.appliedIndex()).isEqualTo(3);
    assertThat(follower.store.revision()).isEqualTo(leader.store.revision());
    assertThat(follower.store.hash(0)).isEqualTo(leader.store.hash(0));
    assertThat(follower.snapshots.newestIndex()).isEqualTo(3);
    KeyValue a = follower.store.range(rangeRequest("a").build()).getKvs(0);
    assertThat(a.getVersion()).isEqualTo(2);

    // The installed state is durable, and the follower goes on from it.
    follower.crashAndRestart(0);
    assertThat(follower.keys()).containsExactly("a", "b");
    follower.put("c", "4");
    assertThat(follower.store.appliedIndex()).isEqualTo(4);
    assertThat(leader.keys()).containsExactly("a", "b");
  }

  @Test
  void installWithoutTheStagedImageFailsAndChangesNothing() throws KvException {
    Node leader = new Node();
    leader.put("a", "1");
    SnapshotMeta first = leader.snapshots.take(index -> 1);
    KvImage firstImage = leader.snapshots.newest();
    leader.put("b", "2");
    SnapshotMeta second = leader.snapshots.take(index -> 1);
    Node follower = new Node();
    follower.put("x", "1");

    assertThatThrownBy(() -> follower.snapshots.install(second))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no staged snapshot");
    assertThatThrownBy(() -> follower.snapshots.stage(second, firstImage))
        .isInstanceOf(IllegalArgumentException.class);
    follower.snapshots.stage(first, firstImage);
    assertThatThrownBy(() -> follower.snapshots.install(second))
        .isInstanceOf(IllegalStateException.class);

    assertThat(follower.keys()).containsExactly("x");
    assertThat(follower.store.appliedIndex()).isEqualTo(1);
  }

  @Test
  void aStaleImageStagedLaterDoesNotReplaceTheOneBeingInstalled() throws KvException {
    // Simulation seed 5203 (CHAOS): a duplicated, older InstallSnapshot arrived between the
    // newer one's acceptance and its install.
    Node leader = new Node();
    leader.put("a", "1");
    SnapshotMeta older = leader.snapshots.take(index -> 1);
    KvImage olderImage = leader.snapshots.newest();
    leader.put("b", "2");
    SnapshotMeta newer = leader.snapshots.take(index -> 1);
    KvImage newerImage = leader.snapshots.newest();
    Node follower = new Node();

    follower.snapshots.stage(newer, newerImage);
    follower.snapshots.stage(older, olderImage);
    follower.snapshots.install(newer);

    assertThat(follower.keys()).containsExactly("a", "b");
    assertThat(follower.store.appliedIndex()).isEqualTo(2);
    // Images at or below the installed one are dropped.
    assertThatThrownBy(() -> follower.snapshots.install(older))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no staged snapshot");
  }
}
