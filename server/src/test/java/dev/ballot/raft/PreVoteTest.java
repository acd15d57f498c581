package dev.ballot.raft;

import static dev.ballot.raft.RaftNetwork.from;
import static dev.ballot.raft.RaftNetwork.ofType;
import static dev.ballot.raft.RaftNetwork.to;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.ballot.raft.Message.RequestVote;
import dev.ballot.raft.Message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreVoteTest {

  @Test
  void preCandidateAsksForTermPlusOneWithoutIncrementingItsOwnTerm() {
    ScriptedNode scripted = ScriptedNode.fresh(1, 3);
    Ready rd = scripted.drain();
    while (scripted.node().role() == Role.FOLLOWER) {
      rd = scripted.tick();
    }

    assertThat(scripted.node().role()).isEqualTo(Role.PRE_CANDIDATE);
    assertThat(scripted.node().term()).isZero();
    assertThat(scripted.node().votedFor()).isEqualTo(RaftNode.NONE);
    assertThat(rd.hardState()).as("nothing to persist: no term, no vote").isNull();
    assertThat(ScriptedNode.messages(rd, RequestVote.class))
        .extracting(RequestVote::to, RequestVote::term, RequestVote::preVote)
        .containsExactly(tuple(2L, 1L, true), tuple(3L, 1L, true));
  }

  @Test
  void preVoteRejectedByAMajorityLeavesEveryTermUnchanged() throws Exception {
    // Without check-quorum nobody ignores the request as "in lease", so both voters answer it.
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.checkQuorum(false));
    long term = net.elect(1);
    net.isolate(3);
    net.propose(1, "node 3 misses this");
    net.deliverAll();
    net.heal();

    while (net.node(3).role() == Role.FOLLOWER) {
      net.tick(3);
    }
    net.deliverAll();

    assertThat(net.sent(VoteResponse.class))
        .filteredOn(vr -> vr.to() == 3)
        .extracting(VoteResponse::from, VoteResponse::granted, VoteResponse::preVote)
        .containsExactly(tuple(1L, false, true), tuple(2L, false, true));
    assertThat(net.node(3).role()).isEqualTo(Role.FOLLOWER);
    assertThat(List.of(net.node(1).term(), net.node(2).term(), net.node(3).term()))
        .containsOnly(term);
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
  }

  @Test
  void grantedPreVoteLeadsToARealElectionAtTermPlusOne() {
    RaftNetwork net = RaftNetwork.of(3, 1);
    while (net.node(1).role() == Role.FOLLOWER) {
      net.tick(1);
    }

    net.deliverFirst(ofType(RequestVote.class).and(to(2)));
    assertThat(net.node(2).term()).as("a granted pre-vote changes nothing").isZero();
    assertThat(net.node(2).votedFor()).isEqualTo(RaftNode.NONE);

    net.deliverFirst(ofType(VoteResponse.class).and(from(2)));
    assertThat(net.node(1).role()).isEqualTo(Role.CANDIDATE);
    assertThat(net.node(1).term()).isEqualTo(1);
    assertThat(net.node(1).votedFor()).isEqualTo(1);
    assertThat(net.inFlight())
        .filteredOn(m -> m instanceof RequestVote rv && !rv.preVote())
        .extracting(Message::to, Message::term)
        .containsExactly(tuple(2L, 1L), tuple(3L, 1L));

    net.deliverAll();
    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(1).term()).isEqualTo(1);
  }
}
