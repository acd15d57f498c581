package dev.ballot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Election;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.election.NoLeaderException;
import io.etcd.jetcd.election.NotLeaderException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** etcd's Election service (v3election) through jetcd and etcdctl elect against 3 nodes. */
class ElectionTest {
  @RegisterExtension static final Clusters clusters = new Clusters();

  private static KvCluster cluster;
  private static Client client;

  @BeforeAll
  static void startCluster() {
    cluster = clusters.start(3);
    client = Client.builder().endpoints(cluster.clientEndpoints().toArray(String[]::new)).build();
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private static long grant(long ttlSeconds) throws Exception {
    return client.getLeaseClient().grant(ttlSeconds).get(10, TimeUnit.SECONDS).getID();
  }

  private static String leaderValue(String name) throws Exception {
    return client
        .getElectionClient()
        .leader(bytes(name))
        .get(10, TimeUnit.SECONDS)
        .getKv()
        .getValue()
        .toString(UTF_8);
  }

  @Test
  void campaignProclaimObserveResignAndTheNextLeader() throws Exception {
    Election election = client.getElectionClient();
    ByteSequence name = bytes("office");
    long firstLease = grant(30);
    LeaderKey first =
        election.campaign(name, firstLease, bytes("alice")).get(10, TimeUnit.SECONDS).getLeader();
    assertThat(first.getKey().toString(UTF_8)).isEqualTo("office/" + Long.toHexString(firstLease));
    assertThat(first.getLease()).isEqualTo(firstLease);
    assertThat(leaderValue("office")).isEqualTo("alice");

    List<String> observed = new CopyOnWriteArrayList<>();
    Election.Listener listener =
        new Election.Listener() {
          @Override
          public void onNext(LeaderResponse response) {
            observed.add(response.getKv().getValue().toString(UTF_8));
          }

          @Override
          public void onError(Throwable throwable) {}

          @Override
          public void onCompleted() {}
        };
    election.observe(name, listener);
    await().atMost(Duration.ofSeconds(10)).until(() -> observed.contains("alice"));

    long secondLease = grant(30);
    var second = election.campaign(name, secondLease, bytes("bob"));
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !second.isDone());

    election.proclaim(first, bytes("alice-2")).get(10, TimeUnit.SECONDS);
    assertThat(leaderValue("office")).isEqualTo("alice-2");
    await().atMost(Duration.ofSeconds(10)).until(() -> observed.contains("alice-2"));

    LeaderKey wrong =
        new LeaderKey(first.getName(), first.getKey(), first.getRevision() + 1000, firstLease);
    assertThatThrownBy(() -> election.proclaim(wrong, bytes("mallory")).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(NotLeaderException.class);
    assertThat(leaderValue("office")).isEqualTo("alice-2");

    election.resign(first).get(10, TimeUnit.SECONDS);
    LeaderKey next = second.get(10, TimeUnit.SECONDS).getLeader();
    assertThat(next.getKey().toString(UTF_8)).isEqualTo("office/" + Long.toHexString(secondLease));
    assertThat(next.getRevision()).isGreaterThan(first.getRevision());
    assertThat(leaderValue("office")).isEqualTo("bob");
    await().atMost(Duration.ofSeconds(10)).until(() -> observed.contains("bob"));
    assertThat(observed).containsSubsequence("alice", "alice-2", "bob");

    client.getLeaseClient().revoke(secondLease).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> election.leader(name).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(NoLeaderException.class);
  }

  @Test
  void leaderOfAnElectionNobodyCampaignedInIsNoLeader() {
    assertThatThrownBy(
            () -> client.getElectionClient().leader(bytes("empty")).get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(NoLeaderException.class);
  }

  @Test
  void etcdctlElectCampaignsAndListens() throws Exception {
    Etcdctl.requireInstalled();
    Path dir = Files.createDirectories(cluster.dir().resolve("elect"));
    Path campaignOut = dir.resolve("campaign.out");
    Path listenOut = dir.resolve("listen.out");
    ProcessBuilder campaign =
        new ProcessBuilder(
                "etcdctl",
                "--endpoints=" + cluster.clientEndpointsCsv(),
                "elect",
                "ctl-office",
                "p1")
            .redirectOutput(campaignOut.toFile())
            .redirectErrorStream(true);
    campaign.environment().put("ETCDCTL_API", "3");
    ProcessBuilder listen =
        new ProcessBuilder(
                "etcdctl",
                "--endpoints=" + cluster.clientEndpointsCsv(),
                "elect",
                "-l",
                "ctl-office")
            .redirectOutput(listenOut.toFile())
            .redirectErrorStream(true);
    listen.environment().put("ETCDCTL_API", "3");
    Process candidate = campaign.start();
    Process listener = listen.start();
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> Files.readString(campaignOut).matches("ctl-office/[0-9a-f]+\np1\n"));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> Files.readString(listenOut).matches("ctl-office/[0-9a-f]+\np1\n"));
      assertThat(leaderValue("ctl-office")).isEqualTo("p1");
      candidate.destroy(); // SIGTERM: etcdctl resigns
      assertThat(candidate.waitFor(20, TimeUnit.SECONDS)).isTrue();
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThatThrownBy(
                          () -> client.getElectionClient().leader(bytes("ctl-office")).get())
                      .hasCauseInstanceOf(NoLeaderException.class));
    } finally {
      candidate.destroyForcibly();
      listener.destroyForcibly();
    }
  }
}
