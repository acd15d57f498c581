package dev.ballot.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class VoteRuleTest {

  private static RequestVote vote(long from, long to, long term, long lastIndex, long lastTerm) {
    return new RequestVote(from, to, term, lastIndex, lastTerm, false, false);
  }

  private static RequestVote preVote(long from, long to, long term, long lastIndex, long lastTerm) {
    return new RequestVote(from, to, term, lastIndex, lastTerm, true, false);
  }

  private static VoteResponse onlyAnswer(Ready rd) {
    List<VoteResponse> answers = ScriptedNode.messages(rd, VoteResponse.class);
    assertThat(answers).hasSize(1);
    return answers.get(0);
  }

  @Test
  void grantsAtMostOneVotePerTerm() {
    ScriptedNode voter = ScriptedNode.fresh(3, 3);

    assertThat(onlyAnswer(voter.step(vote(1, 3, 1, 0, 0))).granted()).isTrue();
    assertThat(onlyAnswer(voter.step(vote(2, 3, 1, 0, 0))).granted())
        .as("second candidate of the same term")
        .isFalse();
    assertThat(onlyAnswer(voter.step(vote(1, 3, 1, 0, 0))).granted())
        .as("the same candidate asking again")
        .isTrue();
    assertThat(voter.node().votedFor()).isEqualTo(1);
  }

  @Test
  void refusesVoteToCandidateWhoseLastLogTermIsLower() {
    RestoredState state = new TestLog().run(1, 2).run(2, 1).restoredAt(2, 0);
    ScriptedNode voter = ScriptedNode.restored(3, 3, state, b -> b);

    // A longer log does not help: the last term decides first.
    assertThat(onlyAnswer(voter.step(preVote(1, 3, 3, 10, 1))).granted()).isFalse();
    assertThat(onlyAnswer(voter.step(vote(1, 3, 3, 10, 1))).granted()).isFalse();
    assertThat(voter.node().votedFor()).isEqualTo(RaftNode.NONE);
    assertThat(onlyAnswer(voter.step(vote(2, 3, 4, 2, 3))).granted())
        .as("a shorter log with a higher last term is more up to date")
        .isTrue();
  }

  @Test
  void refusesVoteToCandidateWithTheSameLastTermAndAShorterLog() {
    RestoredState state = new TestLog().run(1, 3).restoredAt(1, 0);
    ScriptedNode voter = ScriptedNode.restored(3, 3, state, b -> b);

    assertThat(onlyAnswer(voter.step(preVote(1, 3, 2, 2, 1))).granted()).isFalse();
    assertThat(onlyAnswer(voter.step(vote(1, 3, 2, 2, 1))).granted()).isFalse();
    assertThat(onlyAnswer(voter.step(vote(2, 3, 2, 3, 1))).granted())
        .as("an equally long log is up to date")
        .isTrue();
  }

  @Test
  void followerThatHeardFromItsLeaderWithinAnElectionTimeoutIgnoresVoteRequestsOfHigherTerms() {
    ScriptedNode follower = ScriptedNode.fresh(2, 3);
    follower.step(new Heartbeat(1, 2, 1, 0, 0));

    Ready toPreVote = follower.step(preVote(3, 2, 2, 5, 1));
    Ready toVote = follower.step(vote(3, 2, 2, 5, 1));

    assertThat(toPreVote.messages()).isEmpty();
    assertThat(toVote.messages()).isEmpty();
    assertThat(follower.node().term()).isEqualTo(1);
    assertThat(follower.node().votedFor()).isEqualTo(RaftNode.NONE);
    assertThat(follower.node().leaderId()).isEqualTo(1);
  }

  @Test
  void followerThatHasNotHeardFromItsLeaderForAnElectionTimeoutGrantsVotesOfHigherTerms() {
    ScriptedNode follower = ScriptedNode.fresh(2, 3);
    follower.step(new Heartbeat(1, 2, 1, 0, 0));
    for (int tick = 0; tick < RaftConfig.defaults(2).electionTimeoutTicks(); tick++) {
      follower.tick();
    }

    List<VoteResponse> answers =
        ScriptedNode.messages(follower.step(vote(3, 2, 2, 5, 1)), VoteResponse.class);

    assertThat(answers).extracting(VoteResponse::granted).containsExactly(true);
    assertThat(follower.node().term()).isEqualTo(2);
    assertThat(follower.node().votedFor()).isEqualTo(3);
  }

  @Test
  void restartedNodeRemembersItsVoteAndDoesNotVoteTwiceInATerm() {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.inject(vote(1, 3, 1, 0, 0));
    net.deliverAll();
    assertThat(net.node(3).votedFor()).isEqualTo(1);

    net.restart(3);
    net.inject(vote(2, 3, 1, 0, 0));
    net.deliverAll();

    assertThat(net.node(3).term()).isEqualTo(1);
    assertThat(net.node(3).votedFor()).isEqualTo(1);
    assertThat(net.sent(VoteResponse.class))
        .filteredOn(vr -> vr.from() == 3)
        .extracting(VoteResponse::to, VoteResponse::granted)
        .containsExactly(tuple(1L, true), tuple(2L, false));
  }

  @Test
  void candidateOfALowerTermIsRefusedWithTheCurrentTermAndAdoptsIt() {
    ScriptedNode voter = ScriptedNode.fresh(3, 3);
    voter.step(new Heartbeat(2, 3, 5, 0, 0));
    ScriptedNode candidate =
        ScriptedNode.restored(1, 3, RestoredState.empty(), b -> b.preVote(false));
    while (candidate.node().role() != Role.CANDIDATE) {
      candidate.tick();
    }
    RequestVote stale = new RequestVote(1, 3, candidate.node().term(), 0, 0, false, false);

    VoteResponse answer = onlyAnswer(voter.step(stale));

    assertThat(answer.granted()).isFalse();
    assertThat(answer.term()).isEqualTo(5);
    assertThat(answer.preVote()).isFalse();
    candidate.step(answer);
    assertThat(candidate.node().term()).isEqualTo(5);
    assertThat(candidate.node().role()).isEqualTo(Role.FOLLOWER);
  }
}
