package dev.ballot.raft;

import static dev.ballot.raft.RaftNetwork.from;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ballot.raft.Message.AppendEntries;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Commit only by counting replicas of an entry of the current term (Raft paper 5.4.2, figure 8).
 */
class CommitRuleTest {
  private static final long OLD_ENTRY = 2;
  private static final long NOOP_OF_S1_TERM = 3;

  /**
   * Figure 8 of the Raft paper, with the no-op a leader appends. Ends with S1 leading term 3 and
   * knowing that index 2 (term 1) is on S1, S3 and S4, a majority; its own no-op at index 3 is held
   * on the way to every follower.
   */
  private static RaftNetwork figure8() throws Exception {
    // Without check-quorum the scripted elections need no ticking of the others; one entry per
    // AppendEntries so that index 2 can reach a follower without index 3.
    RaftNetwork net = RaftNetwork.of(5, 8, b -> b.checkQuorum(false).maxAppendBytes(1));
    net.elect(1);

    // (a) S1 leads term 1 and gets index 2 onto S2 only.
    net.partition(List.of(1L, 2L), List.of(3L, 4L, 5L));
    assertThat(net.propose(1, "old entry")).isEqualTo(OLD_ENTRY);
    net.deliverAll();

    // (b) S1 crashes; S5 is elected in term 2 by S3 and S4 and appends index 2, then crashes
    // before anyone receives it.
    net.isolate(1);
    net.dropIf(m -> m instanceof AppendEntries && m.from() == 5);
    assertThat(net.elect(5)).isEqualTo(2);
    net.stopDroppingAndHolding();

    // (c) S1 restarts and is elected in term 3; it replicates index 2 to S3 and S4, but its own
    // entry (index 3) does not reach any follower holding index 2.
    net.isolate(5);
    net.restart(1);
    net.holdIf(
        m ->
            m instanceof AppendEntries ae
                && ae.entries().stream().anyMatch(e -> e.index() == NOOP_OF_S1_TERM)
                && net.node(ae.to()).lastIndex() >= OLD_ENTRY);
    assertThat(net.elect(1)).isEqualTo(3);
    assertThat(net.node(1).termAt(NOOP_OF_S1_TERM)).isEqualTo(3);
    for (long id : List.of(1L, 2L, 3L, 4L)) {
      assertThat(net.node(id).termAt(OLD_ENTRY)).as("term of index 2 on S%d", id).isEqualTo(1);
    }
    return net;
  }

  @Test
  void entryOfAnEarlierTermOnAMajorityIsNotCommittedByCountingReplicas() throws Exception {
    RaftNetwork net = figure8();

    // S1 heard S3 and S4 acknowledge index 2: with itself that is 3 of 5.
    assertThat(net.sent(Message.AppendResponse.class))
        .filteredOn(ar -> ar.to() == 1 && ar.term() == 3 && ar.success())
        .extracting(Message.AppendResponse::from, Message.AppendResponse::matchIndex)
        .contains(tuple(3L, OLD_ENTRY), tuple(4L, OLD_ENTRY));
    assertThat(net.node(1).commitIndex()).isEqualTo(OLD_ENTRY - 1);

    // (d) Why: S1 crashes, S5 comes back, wins term 4 with S2, S3, S4 (its last term 2 beats
    // their 1) and overwrites index 2 everywhere. Had S1 committed it, a committed entry was lost.
    net.stopDroppingAndHolding();
    net.dropHeld();
    net.isolate(1);
    net.elect(5);
    net.deliverAll();
    for (long id : List.of(2L, 3L, 4L, 5L)) {
      assertThat(net.node(id).termAt(OLD_ENTRY)).as("term of index 2 on S%d", id).isEqualTo(2);
    }
    assertThat(net.ids()).allSatisfy(id -> assertThat(net.appliedCommands(id)).isEmpty());
  }

  @Test
  void entryOfAnEarlierTermIsCommittedOnceAnEntryOfTheCurrentTermIsCommitted() throws Exception {
    RaftNetwork net = figure8();

    net.stopDroppingAndHolding();
    net.deliverHeld(from(1));

    assertThat(net.node(1).commitIndex()).isEqualTo(NOOP_OF_S1_TERM);
    for (long id : List.of(1L, 2L, 3L, 4L)) {
      assertThat(net.appliedCommands(id)).as("applied on S%d", id).containsExactly("old entry");
    }
  }

  @Test
  void newLeaderAppendsANoopOfItsTermAndCommitsIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.propose(1, "a");
    net.deliverAll();
    net.isolate(1);
    net.tickUntil(() -> net.leadsLatestTerm(2) || net.leadsLatestTerm(3), 100);

    RaftNode leader = net.leadsLatestTerm(2) ? net.node(2) : net.node(3);
    long term = leader.term();
    assertThat(term).isEqualTo(2);
    Entry last = leader.entryAt(leader.lastIndex());
    assertThat(last.type()).isEqualTo(EntryType.NOOP);
    assertThat(last.term()).isEqualTo(term);
    assertThat(last.index()).isEqualTo(3);
    assertThat(leader.commitIndex()).isEqualTo(3);
    assertThat(net.applied(2)).last().isEqualTo(last);
    assertThat(net.applied(3)).last().isEqualTo(last);
  }
}
