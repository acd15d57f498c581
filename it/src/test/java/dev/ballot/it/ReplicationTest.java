package dev.ballot.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.StatusResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A healthy cluster: every node takes writes and serves every write. */
class ReplicationTest {
  @RegisterExtension final Clusters clusters = new Clusters();

  @Test
  void writeThroughAnyNodeIsReadThroughEveryNode() {
    KvCluster cluster = clusters.start(3);

    for (int writer = 0; writer < cluster.size(); writer++) {
      PutResponse put = Etcd.put(cluster.kv(writer), "via-" + writer, "value-" + writer);
      assertThat(put.getHeader().getRevision()).isPositive();
    }

    for (int reader = 0; reader < cluster.size(); reader++) {
      assertThat(Etcd.prefixContents(cluster.kv(reader), "via-", false))
          .as("linearizable read on node %d", reader)
          .containsExactly(
              java.util.Map.entry("via-0", "value-0"),
              java.util.Map.entry("via-1", "value-1"),
              java.util.Map.entry("via-2", "value-2"));
    }
    for (int reader = 0; reader < cluster.size(); reader++) {
      int node = reader;
      await("serializable read on node " + node + " to see all three writes")
          .atMost(Duration.ofSeconds(10))
          .until(() -> Etcd.prefixContents(cluster.kv(node), "via-", true).size() == 3);
    }
  }

  @Test
  void aWriteThroughAFollowerIsReadThereAtOnce() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    int follower = (leader + 1) % cluster.size();

    // As in etcd, the node a client wrote through answers once it applied the write itself, so a
    // serializable read there, right after, finds it (a follower learns commits a little after the
    // leader, so any lag here shows within a few writes).
    for (int i = 0; i < 200; i++) {
      PutResponse put = Etcd.put(cluster.kv(follower), "ryw", "v" + i);
      var read = Etcd.get(cluster.kv(follower), "ryw", true);
      assertThat(read.getHeader().getRevision())
          .as("revision of the read after put %d", i)
          .isGreaterThanOrEqualTo(put.getHeader().getRevision());
      assertThat(read.getKvs(0).getValue().toStringUtf8())
          .as("read after put %d", i)
          .isEqualTo("v" + i);
    }
  }

  @Test
  void everyNodeAgreesOnOneLeaderAndTheMembers() {
    KvCluster cluster = clusters.start(3);
    int leader = cluster.awaitLeader();
    long leaderId = cluster.memberId(leader);

    Set<Long> memberIds = new HashSet<>();
    for (int i = 0; i < cluster.size(); i++) {
      StatusResponse status = cluster.status(i);
      assertThat(status.getLeader()).as("leader seen by node %d", i).isEqualTo(leaderId);
      memberIds.add(status.getHeader().getMemberId());
    }
    assertThat(memberIds).hasSize(3).doesNotContain(0L);

    List<Member> members =
        cluster
            .clusterApi(leader)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .memberList(MemberListRequest.getDefaultInstance())
            .getMembersList();
    assertThat(members).extracting(Member::getID).containsExactlyInAnyOrderElementsOf(memberIds);
    if (cluster.flavor() == ServerFlavor.KVSERVER) {
      // Ballot numbers the members of a new cluster 1..N.
      assertThat(memberIds)
          .containsExactlyInAnyOrderElementsOf(
              IntStream.rangeClosed(1, 3).mapToObj(Long::valueOf).toList());
    }
  }
}
