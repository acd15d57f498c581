package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fast log backtracking with the conflict hint, and what happens to a deposed leader's log. */
class LogBacktrackingTest {

  private static AppendResponse onlyAppendResponse(Ready rd) {
    List<AppendResponse> answers = ScriptedNode.messages(rd, AppendResponse.class);
    assertThat(answers).hasSize(1);
    return answers.get(0);
  }

  private static List<AppendResponse> rejectionsFrom(RaftNetwork net, long follower) {
    return net.sent(AppendResponse.class).stream()
        .filter(ar -> ar.from() == follower && !ar.success())
        .toList();
  }

  private static void assertSameLog(RaftNode a, RaftNode b) {
    assertThat(a.lastIndex()).isEqualTo(b.lastIndex());
    for (long i = Math.max(a.firstIndex(), b.firstIndex()); i <= a.lastIndex(); i++) {
      assertThat(a.entryAt(i))
          .as("entry %d of nodes %d and %d", i, a.id(), b.id())
          .isEqualTo(b.entryAt(i));
    }
  }

  @Test
  void rejectionHintNamesTheFirstIndexOfTheFollowersConflictingTerm() {
    RestoredState state = new TestLog().run(1, 3).run(2, 3).restoredAt(2, 0);
    ScriptedNode follower = ScriptedNode.restored(2, 3, state, b -> b);

    AppendResponse answer =
        onlyAppendResponse(follower.step(new AppendEntries(1, 2, 3, 6, 3, List.of(), 0)));

    assertThat(answer.success()).isFalse();
    assertThat(answer.rejectedIndex()).isEqualTo(6);
    assertThat(answer.conflictTerm()).isEqualTo(2);
    assertThat(answer.conflictIndex()).isEqualTo(4);
  }

  @Test
  void rejectionHintNamesLastIndexPlusOneAndTermZeroWhenTheFollowersLogIsTooShort() {
    RestoredState state = new TestLog().run(1, 3).run(2, 3).restoredAt(2, 0);
    ScriptedNode follower = ScriptedNode.restored(2, 3, state, b -> b);

    AppendResponse answer =
        onlyAppendResponse(follower.step(new AppendEntries(1, 2, 3, 9, 3, List.of(), 0)));

    assertThat(answer.success()).isFalse();
    assertThat(answer.rejectedIndex()).isEqualTo(9);
    assertThat(answer.conflictTerm()).isZero();
    assertThat(answer.conflictIndex()).isEqualTo(7);
  }

  @Test
  void divergentFollowerIsRepairedWithOneRejectionPerStaleTermNotPerEntry() {
    // Indexes 4..120: the leader holds 117 entries of term 5, node 3 holds terms 2, 3 and 4.
    RestoredState leaderLog = new TestLog().run(1, 3).run(5, 117).restoredAt(5, 3);
    RestoredState stale = new TestLog().run(1, 3).run(2, 37).run(3, 40).run(4, 40).restoredAt(4, 3);
    RaftNetwork net = RaftNetwork.restored(1, b -> b, leaderLog, leaderLog, stale);

    net.elect(1);

    assertThat(rejectionsFrom(net, 3))
        .extracting(AppendResponse::rejectedIndex, AppendResponse::conflictTerm)
        .containsExactly(tuple(120L, 4L), tuple(80L, 3L), tuple(40L, 2L));
    assertSameLog(net.node(3), net.node(1));
    assertThat(net.node(3).commitIndex()).isEqualTo(net.node(1).lastIndex());
  }

  @Test
  void leaderHoldingTheConflictingTermResumesRightAfterItsLastEntryOfThatTerm() {
    // Both got term 2 from the same leader; the new leader's term-2 run ends at 50, node 3's at 60.
    RestoredState leaderLog = new TestLog().run(1, 3).run(2, 47).run(5, 70).restoredAt(5, 3);
    RestoredState stale = new TestLog().run(1, 3).run(2, 57).run(3, 60).restoredAt(3, 3);
    RaftNetwork net = RaftNetwork.restored(1, b -> b, leaderLog, leaderLog, stale);

    net.elect(1);

    assertThat(rejectionsFrom(net, 3)).hasSize(2);
    AppendEntries accepted =
        net.sent(AppendEntries.class).stream()
            .filter(ae -> ae.to() == 3 && !ae.entries().isEmpty())
            .reduce((first, second) -> second)
            .orElseThrow();
    assertThat(accepted.prevLogIndex()).isEqualTo(50);
    assertSameLog(net.node(3), net.node(1));
  }

  @Test
  void followerWithAShortLogIsRepairedAfterOneRejectionPerMissingAndStaleRun() {
    RestoredState leaderLog = new TestLog().run(1, 3).run(5, 117).restoredAt(5, 3);
    RestoredState shortStale = new TestLog().run(1, 3).run(2, 7).restoredAt(2, 3);
    RaftNetwork net = RaftNetwork.restored(1, b -> b, leaderLog, leaderLog, shortStale);

    net.elect(1);

    assertThat(rejectionsFrom(net, 3))
        .extracting(AppendResponse::conflictIndex, AppendResponse::conflictTerm)
        .containsExactly(tuple(11L, 0L), tuple(4L, 2L));
    assertSameLog(net.node(3), net.node(1));
  }

  @Test
  void partitionedOldLeaderStepsDownAndItsUncommittedEntriesAreOverwrittenWhenItRejoins()
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    long oldTerm = net.elect(1);
    net.isolate(1);
    net.propose(1, "lost 1", "lost 2");

    net.tickUntil(() -> net.leadsLatestTerm(2) || net.leadsLatestTerm(3), 100);
    // Cut off from the majority, check-quorum deposes it within two election timeouts.
    net.tickUntil(() -> net.node(1).role() != Role.LEADER, 20);
    long newLeader = net.leadsLatestTerm(2) ? 2 : 3;
    long newTerm = net.node(newLeader).term();
    assertThat(newTerm).isGreaterThan(oldTerm);
    net.propose(newLeader, "kept");
    net.deliverAll();

    net.heal();
    net.tickAndDeliver(30);

    assertThat(net.node(1).role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.node(1).term()).isEqualTo(newTerm);
    assertThat(net.node(1).leaderId()).isEqualTo(newLeader);
    assertThat(net.leadsLatestTerm(newLeader)).isTrue();
    assertSameLog(net.node(1), net.node(newLeader));
    assertThat(net.node(1).commitIndex()).isEqualTo(net.node(newLeader).commitIndex());
    for (long id : net.ids()) {
      assertThat(net.appliedCommands(id)).as("applied on node %d", id).containsExactly("kept");
    }
  }
}
