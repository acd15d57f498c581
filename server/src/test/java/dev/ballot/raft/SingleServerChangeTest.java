package dev.ballot.raft;

import static dev.ballot.raft.MembershipSteps.config;
import static dev.ballot.raft.RaftNetwork.ofType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.ProposalRejectedException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One server changes at a time (thesis 4.1): only a change that adds one learner, promotes one or
 * removes one is accepted (or one that changes no member, for the metadata in its context), and
 * only when no other change is pending and the leader has committed an entry of its own term.
 */
class SingleServerChangeTest {
  private static final ClusterConfig THREE = ClusterConfig.ofVoters(List.of(1L, 2L, 3L));

  private static void assertRefused(RaftNetwork net, ClusterConfig next, Reason reason) {
    long lastBefore = net.node(1).lastIndex();
    assertThatThrownBy(() -> net.proposeConfig(1, next))
        .as("change to %s", next)
        .isInstanceOfSatisfying(
            ProposalRejectedException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    assertThat(net.node(1).lastIndex()).as("nothing appended").isEqualTo(lastBefore);
  }

  @Test
  void everySingleServerChangeIsAccepted() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);

    for (ClusterConfig next :
        List.of(
            config(List.of(1L, 2L, 3L), List.of(4L)),
            config(List.of(1L, 2L, 3L, 4L), List.of()),
            config(List.of(1L, 2L, 4L), List.of()))) {
      long index = net.proposeConfig(1, next);
      net.deliverAll();
      assertThat(net.node(1).commitIndex()).isEqualTo(index);
      assertThat(net.node(1).cluster()).isEqualTo(next);
      assertThat(net.node(1).configIndex()).isEqualTo(index);
      assertThat(net.node(1).entryAt(index).type()).isEqualTo(EntryType.CONFIG);
    }
  }

  @Test
  void changesOfMoreThanOneServerOrThatMakeAVoterOutOfNothingAreRefused() {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);

    assertRefused(net, config(List.of(1L, 2L, 3L), List.of(4L, 5L)), Reason.INVALID_CONFIG_CHANGE);
    assertRefused(net, config(List.of(1L, 2L, 3L, 4L), List.of()), Reason.INVALID_CONFIG_CHANGE);
    assertRefused(net, config(List.of(1L, 2L), List.of(3L)), Reason.INVALID_CONFIG_CHANGE);
    assertRefused(net, config(List.of(1L), List.of()), Reason.INVALID_CONFIG_CHANGE);
    assertRefused(net, config(List.of(1L, 2L, 4L), List.of()), Reason.INVALID_CONFIG_CHANGE);
    assertThat(net.node(1).cluster()).isEqualTo(THREE);
  }

  @Test
  void aConfigurationWithTheSameMembersIsAcceptedForItsNewContext() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);

    long index = net.proposeConfig(1, THREE);
    net.deliverAll();

    assertThat(net.node(1).commitIndex()).isEqualTo(index);
    assertThat(net.node(1).configIndex()).isEqualTo(index);
    assertThat(net.node(1).cluster()).isEqualTo(THREE);
    assertThat(net.node(2).cluster()).isEqualTo(THREE);
  }

  @Test
  void aSecondChangeIsRefusedWhileTheFirstIsUncommitted() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.holdIf(ofType(AppendEntries.class));
    ClusterConfig withLearner = config(List.of(1L, 2L, 3L), List.of(4L));
    long first = net.proposeConfig(1, withLearner);
    net.deliverAll();

    assertThat(net.node(1).commitIndex()).isLessThan(first);
    assertRefused(net, config(List.of(1L, 2L, 3L), List.of(4L, 5L)), Reason.CONFIG_CHANGE_PENDING);
    assertRefused(net, config(List.of(1L, 2L, 3L, 4L), List.of()), Reason.CONFIG_CHANGE_PENDING);
    assertThat(net.propose(1, "ordinary writes go on")).isEqualTo(first + 1);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.node(1).commitIndex()).isEqualTo(first + 1);
    assertThat(net.proposeConfig(1, config(List.of(1L, 2L, 3L), List.of(4L, 5L))))
        .isEqualTo(first + 2);
  }

  @Test
  void aNewLeaderChangesNothingBeforeItCommitsAnEntryOfItsTerm() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.holdIf(ofType(AppendEntries.class));
    net.elect(1);
    ClusterConfig withLearner = config(List.of(1L, 2L, 3L), List.of(4L));

    assertThat(net.node(1).commitIndex()).isZero();
    assertRefused(net, withLearner, Reason.CONFIG_CHANGE_PENDING);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.node(1).commitIndex()).isEqualTo(1);
    assertThat(net.proposeConfig(1, withLearner)).isEqualTo(2);
  }

  @Test
  void onlyTheLeaderChangesTheConfiguration() {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);

    assertThatThrownBy(() -> net.proposeConfig(2, config(List.of(1L, 2L, 3L), List.of(4L))))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_LEADER);
              assertThat(e.leaderHint()).isEqualTo(1);
            });
  }

  /**
   * The interleaving of the thesis' single-server change erratum (Ongaro, raft-dev, 2015). Leader 1
   * of {1,2,3,4} promotes learner 5, but only 5 gets the entry. Node 2 wins the next term with 3
   * and 4 and, before committing anything, would remove node 1: that change commits on {2,3}, a
   * majority of {2,3,4} that shares no node with {1,4,5}, a majority of the promoted configuration.
   * Node 1 could then win again and overwrite it. Refusing the second change until the new leader
   * commits in its term (which needs node 4, whose log then outranks node 1's) closes that door.
   */
  @Test
  void aNewLeaderCannotChangeOverAnUncommittedChangeOfAnEarlierLeader() throws Exception {
    RaftNetwork net = RaftNetwork.of(4, 1, b -> b.checkQuorum(false));
    net.elect(1);
    MembershipSteps.addLearner(net, 1, 5);
    net.dropIf(m -> m instanceof AppendEntries && m.from() == 1 && m.to() != 5);
    long promotion = MembershipSteps.promote(net, 1, 5);
    net.deliverAll();
    assertThat(net.node(5).configIndex()).isEqualTo(promotion);
    assertThat(net.node(1).commitIndex()).isLessThan(promotion);

    net.stopDroppingAndHolding();
    net.partition(List.of(2L, 3L, 4L), List.of(1L, 5L));
    net.holdIf(m -> m instanceof AppendEntries && m.from() == 2); // nothing of term 2 commits
    net.elect(2);
    boolean refused = false;
    try {
      MembershipSteps.remove(net, 2, 1);
    } catch (ProposalRejectedException e) {
      refused = e.reason() == Reason.CONFIG_CHANGE_PENDING;
    }
    // Node 2's entries reach node 3 only; node 4 keeps a log that node 1's outranks.
    net.stopDroppingAndHolding();
    net.deliverHeld(m -> m.to() == 3);
    net.dropHeld();
    net.partition(List.of(2L, 3L), List.of(1L, 4L, 5L));
    net.elect(1);
    net.deliverAll();
    net.heal();
    net.tickAndDeliver(30);

    // The network checks that no two nodes apply different entries at an index; with the change
    // accepted, {2,3} would have committed it and node 1 would overwrite it.
    assertThat(refused).as("the change of the new leader is refused").isTrue();
    assertThat(net.ids())
        .allSatisfy(
            id ->
                assertThat(net.node(id).cluster())
                    .isEqualTo(ClusterConfig.ofVoters(List.of(1L, 2L, 3L, 4L, 5L))));
  }
}
