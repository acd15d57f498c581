package dev.ballot.raft;

import static dev.ballot.raft.RaftNetwork.from;
import static dev.ballot.raft.RaftNetwork.ofType;
import static dev.ballot.raft.RaftNetwork.to;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.Heartbeat;
import dev.ballot.raft.Message.HeartbeatResponse;
import dev.ballot.raft.Message.ReadIndexRequest;
import org.junit.jupiter.api.Test;

/** Linearizable reads confirmed by a quorum round of heartbeats (thesis 6.4). */
class ReadIndexTest {

  private static boolean answersRound(Message m, long round) {
    return m instanceof HeartbeatResponse hr && hr.readRound() == round;
  }

  @Test
  void readIsReleasedOnlyOnceAQuorumAnswersAHeartbeatRoundSentAfterIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(5, 1);
    net.elect(1);
    net.propose(1, "a");
    net.deliverAll();
    long commit = net.node(1).commitIndex();
    net.holdIf(ofType(HeartbeatResponse.class));

    net.readIndex(1, 42);
    net.deliverAll();
    assertThat(net.held()).hasSize(4);
    assertThat(net.readStates(1)).isEmpty();

    net.deliverHeld(from(2));
    assertThat(net.readStates(1)).as("leader and node 2 are 2 of 5").isEmpty();

    net.deliverHeld(from(3));
    assertThat(net.readStates(1)).containsExactly(new ReadState(42, commit));
  }

  @Test
  void heartbeatAnswersSentBeforeTheReadDoNotConfirmIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.holdIf(ofType(HeartbeatResponse.class));
    net.tick(1); // a periodic heartbeat, before the read
    net.deliverAll();
    assertThat(net.held()).hasSize(2).allMatch(m -> answersRound(m, 0));

    net.readIndex(1, 7);
    net.deliverAll();
    net.deliverHeld(m -> answersRound(m, 0));
    assertThat(net.readStates(1)).isEmpty();

    net.deliverHeld(from(2));
    assertThat(net.readStates(1)).containsExactly(new ReadState(7, net.node(1).commitIndex()));
  }

  @Test
  void newLeaderReleasesNoReadBeforeItCommitsAnEntryOfItsTerm() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.holdIf(ofType(AppendResponse.class).and(to(1)));
    net.elect(1);
    assertThat(net.node(1).commitIndex()).as("its no-op is not committed").isZero();

    net.readIndex(1, 5);
    net.deliverAll();
    assertThat(net.sent(HeartbeatResponse.class))
        .as("the heartbeat round itself is confirmed")
        .anyMatch(hr -> hr.readRound() == 1);
    assertThat(net.readStates(1)).isEmpty();

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.node(1).commitIndex()).isEqualTo(1);
    assertThat(net.readStates(1)).containsExactly(new ReadState(5, 1));
  }

  @Test
  void leaderCutOffFromTheMajorityNeverReleasesARead() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.isolate(1);

    net.readIndex(1, 9);
    for (int tick = 0; tick < 50; tick++) {
      net.tick(1);
      net.deliverAll();
      assertThat(net.readStates(1)).isEmpty();
    }
    assertThat(net.sent(Heartbeat.class)).anyMatch(hb -> hb.readRound() == 1);
  }

  @Test
  void readsQueuedWhileARoundIsInFlightAreAllReleasedByTheNextRound() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    long commit = net.node(1).commitIndex();
    net.holdIf(ofType(HeartbeatResponse.class));

    net.readIndex(1, 1);
    int heartbeats = net.sent(Heartbeat.class).size();
    net.readIndex(1, 2);
    net.readIndex(1, 3);
    assertThat(net.sent(Heartbeat.class)).as("no round per read").hasSize(heartbeats);
    net.deliverAll();

    net.deliverHeld(m -> answersRound(m, 1));
    assertThat(net.readStates(1)).containsExactly(new ReadState(1, commit));

    net.deliverHeld(m -> answersRound(m, 2));
    assertThat(net.readStates(1))
        .containsExactly(
            new ReadState(1, commit), new ReadState(2, commit), new ReadState(3, commit));
    assertThat(net.sent(Heartbeat.class)).extracting(Heartbeat::readRound).containsOnly(1L, 2L);
  }

  @Test
  void followerReadIsForwardedToTheLeaderAndComesBackAsAReadStateOnTheFollower() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.propose(1, "a");
    net.deliverAll();

    net.readIndex(2, 77);
    assertThat(net.inFlight())
        .singleElement()
        .isInstanceOfSatisfying(ReadIndexRequest.class, r -> assertThat(r.to()).isEqualTo(1));
    net.deliverAll();

    assertThat(net.readStates(2)).containsExactly(new ReadState(77, net.node(1).commitIndex()));
    assertThat(net.readStates(1)).isEmpty();
  }
}
