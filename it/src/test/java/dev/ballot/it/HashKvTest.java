package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ballot.etcd.api.HashKVRequest;
import dev.ballot.etcd.api.HashKVResponse;
import dev.ballot.etcd.api.HashRequest;
import dev.ballot.etcd.api.MaintenanceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Maintenance.HashKV and Hash through each node of a 3-node cluster: one hash at one revision on
 * every node, a different one after a write, etcd's errors for revisions that cannot be hashed.
 */
class HashKvTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
  }

  @Test
  void everyNodeHashesTheSameDataAtTheSameRevisionAndAWriteChangesTheHash() {
    Etcd.put(cluster.kv(0), "hash/a", "1");
    Etcd.put(cluster.kv(1), "hash/b", "2");
    List<HashKVResponse> before = awaitOneRevision();
    assertThat(before).extracting(HashKVResponse::getHash).containsOnly(before.get(0).getHash());

    Etcd.put(cluster.kv(2), "hash/a", "3");
    List<HashKVResponse> after = awaitOneRevision();

    assertThat(after.get(0).getHeader().getRevision())
        .isEqualTo(before.get(0).getHeader().getRevision() + 1);
    assertThat(after).extracting(HashKVResponse::getHash).containsOnly(after.get(0).getHash());
    assertThat(after.get(0).getHash()).isNotEqualTo(before.get(0).getHash());
  }

  @Test
  void futureRevisionIsOutOfRange() {
    long current = Etcd.put(cluster.kv(0), "hash/f", "1").getHeader().getRevision();

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                maintenance(0)
                    .hashKV(HashKVRequest.newBuilder().setRevision(current + 100).build()));

    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("etcdserver: mvcc: required revision is a future revision");
  }

  @Test
  void anOlderRevisionHashesAsItWasUntilCompacted() {
    long first = Etcd.put(cluster.kv(0), "hash/c", "1").getHeader().getRevision();
    int atFirst =
        maintenance(0).hashKV(HashKVRequest.newBuilder().setRevision(first).build()).getHash();
    long second = Etcd.put(cluster.kv(0), "hash/c", "2").getHeader().getRevision();
    assertThat(
            maintenance(0).hashKV(HashKVRequest.newBuilder().setRevision(first).build()).getHash())
        .isEqualTo(atFirst);
    cluster
        .kv(0)
        .compact(io.etcd.jetcd.api.CompactionRequest.newBuilder().setRevision(second).build());

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> maintenance(0).hashKV(HashKVRequest.newBuilder().setRevision(first).build()));

    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("etcdserver: mvcc: required revision has been compacted");
  }

  @Test
  void hashEqualsHashKvAtTheCurrentRevision() {
    // etcd's Hash covers its whole backend, not the key-value records alone.
    assumeTrue(cluster.flavor() == ServerFlavor.KVSERVER, "Ballot's Hash is its HashKV");
    Etcd.put(cluster.kv(0), "hash/h", "1");
    int leader = cluster.awaitLeader();

    HashKVResponse hashKv = maintenance(leader).hashKV(HashKVRequest.getDefaultInstance());
    int hash = maintenance(leader).hash(HashRequest.getDefaultInstance()).getHash();

    assertThat(hashKv.getHashRevision()).isEqualTo(hashKv.getHeader().getRevision());
    assertThat(hash).isEqualTo(hashKv.getHash());
  }

  /** Waits until every node hashes at one revision, and returns their answers. */
  private static List<HashKVResponse> awaitOneRevision() {
    List<HashKVResponse> answers = new ArrayList<>();
    await("every node to hash at one revision")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              answers.clear();
              for (int i = 0; i < cluster.size(); i++) {
                answers.add(maintenance(i).hashKV(HashKVRequest.getDefaultInstance()));
              }
              assertThat(answers)
                  .extracting(a -> a.getHeader().getRevision())
                  .containsOnly(answers.get(0).getHeader().getRevision());
            });
    return answers;
  }

  private static MaintenanceGrpc.MaintenanceBlockingStub maintenance(int node) {
    return MaintenanceGrpc.newBlockingStub(cluster.channel(node))
        .withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }
}
