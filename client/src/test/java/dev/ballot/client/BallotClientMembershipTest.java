package dev.ballot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.ballot.client.fake.FakeCluster;
import dev.ballot.client.fake.FakeEtcdServer;
import dev.ballot.client.fake.Fault;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** removeMember, promoteMember and moveLeader against a fake three-member cluster. */
class BallotClientMembershipTest {
  private FakeCluster cluster;

  @BeforeEach
  void start() {
    cluster = FakeCluster.start(3);
    cluster.addLearner(4);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private BallotClient client(Duration timeout, String... endpoints) {
    return BallotClient.builder().endpoints(endpoints).requestTimeout(timeout).build();
  }

  private static Throwable failure(CompletableFuture<?> future) {
    assertThatThrownBy(future::join).hasCauseInstanceOf(BallotException.class);
    return future.handle((value, error) -> error.getCause()).join();
  }

  private static void warmUp(BallotClient client, FakeEtcdServer server) {
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> client.status(server.endpoint()).join() != null);
  }

  @Test
  void removeMemberReturnsTheMembersLeftAndAGoneMemberIsNotFound() {
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.server(1).endpoint())) {
      assertThat(client.removeMember(3).join())
          .extracting(MemberInfo::id)
          .containsExactly(1L, 2L, 4L);

      Throwable again = failure(client.removeMember(3));
      assertThat(again).isExactlyInstanceOf(BallotException.class);
      assertThat(((BallotException) again).code()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(again.getMessage()).isEqualTo("etcdserver: member not found");
    }
  }

  @Test
  void promoteMemberTurnsALearnerIntoAVoterAndRefusesAVoter() {
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.endpoints().split(","))) {
      assertThat(client.promoteMember(4).join())
          .filteredOn(member -> member.id() == 4)
          .extracting(MemberInfo::isLearner)
          .containsExactly(false);

      Throwable voter = failure(client.promoteMember(2));
      assertThat(((BallotException) voter).code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(voter.getMessage()).isEqualTo("etcdserver: can only promote a learner member");
    }
  }

  @Test
  void membershipChangeIsRetriedAfterARefusalBeforeProposing() {
    cluster
        .server(0)
        .inject(
            "MemberRemove",
            new Fault.Fail(Status.UNAVAILABLE.withDescription("etcdserver: no leader")),
            1);
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.endpoints().split(","))) {
      client.removeMember(3).join();
    }

    assertThat(cluster.server(0).calls("MemberRemove")).isEqualTo(1);
    assertThat(cluster.server(1).calls("MemberRemove")).isEqualTo(1);
  }

  @Test
  void membershipChangeWithoutAnswerIsOutcomeUnknownAndNotRetried() {
    cluster.server(0).inject("MemberRemove", new Fault.Hang(), 1);
    try (BallotClient client =
        client(
            Duration.ofMillis(500), cluster.server(0).endpoint(), cluster.server(1).endpoint())) {
      warmUp(client, cluster.server(0));

      Throwable error = failure(client.removeMember(3));

      assertThat(error).isInstanceOf(OutcomeUnknownException.class);
    }
    assertThat(cluster.server(1).calls("MemberRemove")).isZero();
    assertThat(cluster.store().members()).hasSize(4);
  }

  @Test
  void moveLeaderIsSentToTheEndpointThatLeads() {
    try (BallotClient client =
        client(Duration.ofSeconds(5), cluster.server(2).endpoint(), cluster.server(0).endpoint())) {
      LeaderTransfer transfer = client.moveLeader(2).join();

      assertThat(transfer).isEqualTo(new LeaderTransfer(1, 2));
    }
    assertThat(cluster.store().leaderId()).isEqualTo(2);
    assertThat(cluster.server(0).calls("MoveLeader")).isEqualTo(1);
    assertThat(cluster.server(2).calls("MoveLeader")).isZero();
  }

  @Test
  void moveLeaderFindsALeaderOutsideTheEndpointsInTheMemberList() {
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.server(1).endpoint())) {
      assertThat(client.moveLeader(3).join()).isEqualTo(new LeaderTransfer(1, 3));
    }
    assertThat(cluster.server(0).calls("MoveLeader")).isEqualTo(1);
    assertThat(cluster.server(1).calls("MoveLeader")).isZero();
  }

  @Test
  void moveLeaderToALearnerIsRefusedAsABadTransferee() {
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.server(0).endpoint())) {
      Throwable error = failure(client.moveLeader(4));

      assertThat(((BallotException) error).code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(error.getMessage()).isEqualTo("etcdserver: bad leader transferee");
    }
    assertThat(cluster.store().leaderId()).isEqualTo(1);
  }

  @Test
  void moveLeaderWithoutALeaderIsUnavailableAndSendsNothing() {
    cluster.store().setLeaderId(0);
    String down = FakeEtcdServer.unusedEndpoint();
    try (BallotClient client = client(Duration.ofSeconds(2), cluster.server(0).endpoint(), down)) {
      Throwable error = failure(client.moveLeader(2));

      assertThat(error).isInstanceOf(UnavailableException.class);
      assertThat(error.getMessage())
          .startsWith("no leader known to any endpoint: ")
          .contains(cluster.server(0).endpoint() + ": no leader")
          .contains(down + ": ");
      assertThat(((BallotException) error).serverMessage()).isEqualTo("etcdserver: no leader");
    }
    assertThat(cluster.server(0).calls("MoveLeader")).isZero();
  }

  @Test
  void moveLeaderRefusedByADeposedLeaderIsUnavailableAndNotRetried() {
    cluster
        .server(0)
        .inject(
            "MoveLeader",
            new Fault.Fail(Status.FAILED_PRECONDITION.withDescription("etcdserver: not leader")),
            1);
    try (BallotClient client = client(Duration.ofSeconds(5), cluster.endpoints().split(","))) {
      Throwable error = failure(client.moveLeader(2));

      assertThat(error).isInstanceOf(UnavailableException.class);
      assertThat(error.getMessage()).contains("etcdserver: not leader");
    }
    assertThat(cluster.server(0).calls("MoveLeader")).isEqualTo(1);
    assertThat(cluster.server(1).calls("MoveLeader") + cluster.server(2).calls("MoveLeader"))
        .isZero();
  }

  @Test
  void moveLeaderWithoutAnswerIsOutcomeUnknown() {
    cluster.server(0).inject("MoveLeader", new Fault.Hang(), 1);
    try (BallotClient client = client(Duration.ofMillis(800), cluster.server(0).endpoint())) {
      warmUp(client, cluster.server(0));

      Throwable error = failure(client.moveLeader(2));

      assertThat(error).isInstanceOf(OutcomeUnknownException.class);
    }
  }
}
