package dev.ballot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.client.fake.FakeCluster;
import dev.ballot.client.fake.Fault;
import dev.ballot.etcd.api.Member;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** member list/remove/promote and move-leader against a fake cluster of voters 1-3, learner a. */
class KvctlMembershipTest {
  private static final long LEARNER_ID = 0xa;

  private FakeCluster cluster;

  @BeforeEach
  void start() {
    cluster = FakeCluster.start(3);
    cluster.addLearner(LEARNER_ID);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private KvctlRun kvctl(String... args) {
    return KvctlRun.at(cluster.endpoints(), args);
  }

  @Test
  void memberListIsTheMembersCommand() {
    KvctlRun list = kvctl("member", "list");

    assertThat(list.code()).isZero();
    assertThat(list).isEqualTo(kvctl("members"));
    assertThat(list.out().lines().toList().get(4).split("\\s+"))
        .containsExactly("a", "node10", "true");
  }

  @Test
  void memberRemovePrintsTheIdAndASecondRemoveIsNotFound() {
    KvctlRun remove = kvctl("member", "remove", "3");
    KvctlRun again = kvctl("member", "remove", "0x3");

    assertThat(remove).isEqualTo(new KvctlRun(0, "Member 3 removed\n", ""));
    assertThat(cluster.store().members()).extracting(Member::getID).containsExactly(1L, 2L, 10L);
    assertThat(again)
        .isEqualTo(new KvctlRun(ExitCodes.ERROR, "", "kvctl: etcdserver: member not found\n"));
  }

  @Test
  void memberUpdateSendsTheNewPeerUrlAndAnUnknownIdIsNotFound() {
    KvctlRun update = kvctl("member", "update", "2", "--peer-addr", "127.0.0.9:52380");
    KvctlRun unknown = kvctl("member", "update", "7", "--peer-addr", "127.0.0.9:52381");
    KvctlRun badAddress = kvctl("member", "update", "2", "--peer-addr", "http://x:1");

    assertThat(update).isEqualTo(new KvctlRun(0, "Member 2 updated\n", ""));
    assertThat(cluster.store().members())
        .filteredOn(m -> m.getID() == 2)
        .singleElement()
        .satisfies(m -> assertThat(m.getPeerURLsList()).containsExactly("http://127.0.0.9:52380"));
    assertThat(unknown)
        .isEqualTo(new KvctlRun(ExitCodes.ERROR, "", "kvctl: etcdserver: member not found\n"));
    assertThat(badAddress.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvctl("member", "update", "2").code()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void memberIdsAreHexAsTheTablesPrintThem() {
    KvctlRun promote = kvctl("member", "promote", "a");

    assertThat(promote).isEqualTo(new KvctlRun(0, "Member a promoted\n", ""));
    assertThat(cluster.store().isLearner(LEARNER_ID)).isFalse();
    assertThat(kvctl("member", "list").out().lines().toList().get(4).split("\\s+"))
        .containsExactly("a", "node10", "false");
  }

  @Test
  void memberChangeJsonHasTheIdAndTheMembersAfterIt() {
    KvctlRun remove = kvctl("-w", "json", "member", "remove", "0X2");

    assertThat(remove.code()).isZero();
    assertThat(remove.out())
        .startsWith("{\"member_id\":2,\"members\":[{\"id\":1,\"name\":\"node1\",")
        .contains("{\"id\":10,\"name\":\"node10\",\"peer_urls\":[],\"client_urls\":[]")
        .doesNotContain("\"id\":2,")
        .endsWith("}]}\n");
  }

  @Test
  void promotingAVoterExitsOneWithEtcdsMessage() {
    assertThat(kvctl("member", "promote", "2"))
        .isEqualTo(
            new KvctlRun(
                ExitCodes.ERROR, "", "kvctl: etcdserver: can only promote a learner member\n"));
  }

  @Test
  void badMemberIdsAreUsageErrors() {
    for (String id : new String[] {"zz", "-1", "0", "0x", "1ffffffffffffffff", "1.5"}) {
      KvctlRun remove = kvctl("member", "remove", id);

      assertThat(remove.code()).as(id).isEqualTo(ExitCodes.USAGE);
      assertThat(remove.err().lines()).as(id).hasSize(1);
      assertThat(remove.err()).as(id).startsWith("kvctl: ").contains("kvctl member remove --help");
    }
    assertThat(kvctl("member", "remove").code()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvctl("member").err())
        .isEqualTo(
            "kvctl: missing subcommand: list, remove, promote or update (see 'kvctl member --help')\n");
    assertThat(cluster.server(0).calls("MemberRemove")).isZero();
  }

  @Test
  void memberRemoveWithoutAnswerExitsFour() {
    for (int i = 0; i < 3; i++) {
      cluster.server(i).inject("MemberRemove", new Fault.Hang(), 1);
    }

    KvctlRun remove = kvctl("--timeout", "1s", "member", "remove", "3");

    assertThat(remove.code()).as(remove.toString()).isEqualTo(ExitCodes.OUTCOME_UNKNOWN);
    assertThat(remove.err()).startsWith("kvctl: outcome unknown");
  }

  @Test
  void moveLeaderFromAFollowerEndpointReachesTheLeader() {
    KvctlRun move = KvctlRun.run("--endpoints", cluster.server(2).endpoint(), "move-leader", "0x2");

    assertThat(move).isEqualTo(new KvctlRun(0, "Leadership transferred from 1 to 2\n", ""));
    assertThat(cluster.store().leaderId()).isEqualTo(2);
    assertThat(cluster.server(0).calls("MoveLeader")).isEqualTo(1);
  }

  @Test
  void moveLeaderJson() {
    assertThat(kvctl("-w", "json", "move-leader", "3").out())
        .isEqualTo("{\"previous_leader_id\":1,\"leader_id\":3}\n");
  }

  @Test
  void moveLeaderToALearnerExitsOne() {
    assertThat(kvctl("move-leader", "a"))
        .isEqualTo(new KvctlRun(ExitCodes.ERROR, "", "kvctl: etcdserver: bad leader transferee\n"));
  }

  @Test
  void moveLeaderWithoutALeaderExitsFive() {
    cluster.store().setLeaderId(0);

    KvctlRun move = kvctl("move-leader", "2");

    assertThat(move.code()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(move.err()).startsWith("kvctl: no leader known to any endpoint: ");
    assertThat(move.err().lines()).hasSize(1);
  }
}
