package dev.ballot.raft;

import static dev.ballot.raft.RaftNetwork.ofType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.ProposalRejectedException.Reason;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who accepts proposals, and back-pressure on uncommitted bytes. */
class ProposalTest {

  private static byte[] bytes(int size) {
    return new byte[size];
  }

  @Test
  void proposalsBeyondMaxUncommittedBytesAreRejectedUntilEntriesCommit() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.maxUncommittedBytes(100));
    net.elect(1);
    net.holdIf(ofType(AppendEntries.class)); // nothing commits

    net.propose(1, bytes(40));
    net.propose(1, bytes(40));
    net.propose(1, bytes(20)); // exactly at the bound
    assertThatThrownBy(() -> net.propose(1, bytes(1)))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_UNCOMMITTED_BYTES));
    long lastBefore = net.node(1).lastIndex();

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.node(1).commitIndex()).isEqualTo(lastBefore);

    assertThat(net.propose(1, bytes(100))).isEqualTo(lastBefore + 1);
  }

  @Test
  void oneProposalLargerThanTheBoundIsAcceptedWhenNothingIsUncommitted() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.maxUncommittedBytes(100));
    net.elect(1);
    net.holdIf(ofType(AppendEntries.class));

    net.propose(1, bytes(150));

    assertThatThrownBy(() -> net.propose(1, bytes(1)))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_UNCOMMITTED_BYTES));
  }

  @Test
  void followerRejectsProposalsAndNamesTheLeader() {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(2);
    long lastIndex = net.node(3).lastIndex();

    assertThatThrownBy(() -> net.propose(3, "x"))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_LEADER);
              assertThat(e.leaderHint()).isEqualTo(2);
            });
    assertThat(net.node(3).lastIndex()).isEqualTo(lastIndex);
  }

  @Test
  void nodeThatKnowsNoLeaderRejectsProposalsAndReadsWithoutAHint() {
    RaftNode alone = ScriptedNode.fresh(1, 3).node();

    assertThatThrownBy(() -> alone.propose(List.of(new byte[1])))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.NOT_LEADER);
              assertThat(e.leaderHint()).isEqualTo(RaftNode.NONE);
            });
    assertThatThrownBy(() -> alone.readIndex(1))
        .isInstanceOfSatisfying(
            ProposalRejectedException.class,
            e -> assertThat(e.leaderHint()).isEqualTo(RaftNode.NONE));
  }
}
