package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Ready/advance contract: persist, then send, then apply, then advance. */
class ReadyContractTest {

  @Test
  void inputsBetweenReadyAndAdvanceAreRejected() throws Exception {
    RaftNode node = ScriptedNode.fresh(2, 3).node();
    node.step(new Heartbeat(1, 2, 1, 0, 0));
    Ready rd = node.ready();

    assertThatThrownBy(() -> node.step(new Heartbeat(1, 2, 1, 0, 0)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(node::tick).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> node.propose(List.of(new byte[1])))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> node.readIndex(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(node::ready).isInstanceOf(IllegalStateException.class);

    node.advance(rd);
    node.step(new Heartbeat(1, 2, 1, 0, 0)); // accepted again
    node.advance(node.ready());
    assertThatThrownBy(() -> node.advance(rd))
        .as("advance without an outstanding Ready")
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void followerAcknowledgesEntriesInTheSameReadyThatPersistsThem() {
    ScriptedNode follower = ScriptedNode.fresh(2, 3);
    List<Entry> entries = new TestLog().run(1, 2).entries();

    follower.node().step(new AppendEntries(1, 2, 1, 0, 0, entries, 0));
    Ready rd = follower.node().ready();

    assertThat(rd.entries()).isEqualTo(entries);
    assertThat(rd.hardState()).isEqualTo(new HardState(1, RaftNode.NONE, 0));
    assertThat(ScriptedNode.messages(rd, AppendResponse.class))
        .singleElement()
        .satisfies(
            ack -> {
              assertThat(ack.success()).isTrue();
              assertThat(ack.matchIndex()).isEqualTo(2);
            });
    follower.node().advance(rd);
    Ready next = follower.drain();
    assertThat(next.entries()).isEmpty();
    assertThat(next.messages()).as("the ack is not sent twice").isEmpty();
  }

  @Test
  void voteIsSentInTheSameReadyThatPersistsIt() {
    ScriptedNode voter = ScriptedNode.fresh(3, 3);

    voter.node().step(new RequestVote(1, 3, 1, 0, 0, false, false));
    Ready rd = voter.node().ready();

    assertThat(rd.hardState()).isEqualTo(new HardState(1, 1, 0));
    assertThat(ScriptedNode.messages(rd, VoteResponse.class))
        .singleElement()
        .satisfies(vr -> assertThat(vr.granted()).isTrue());
    voter.node().advance(rd);
  }

  @Test
  void singleNodeLeaderCommitsItsEntriesOnlyAfterAdvanceReportsThemPersisted() throws Exception {
    ScriptedNode scripted = ScriptedNode.fresh(1, 1);
    RaftNode node = scripted.node();
    while (node.role() != Role.LEADER) {
      node.tick();
    }

    Ready first = node.ready();
    assertThat(first.entries()).containsExactly(Entry.noop(1, 1));
    assertThat(first.committedEntries()).isEmpty();
    assertThat(first.hardState().commitIndex()).isZero();
    assertThat(node.commitIndex()).isZero();
    node.advance(first);
    assertThat(node.commitIndex()).isEqualTo(1);
    assertThat(scripted.drain().committedEntries()).containsExactly(Entry.noop(1, 1));

    long index = node.propose(List.of(new byte[] {42}));
    Ready withEntry = node.ready();
    assertThat(withEntry.entries()).extracting(Entry::index).containsExactly(index);
    assertThat(withEntry.committedEntries()).isEmpty();
    assertThat(node.commitIndex()).isEqualTo(1);
    node.advance(withEntry);
    assertThat(node.commitIndex()).isEqualTo(index);
    assertThat(scripted.drain().committedEntries()).extracting(Entry::index).containsExactly(index);
  }
}
