package dev.ballot.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Message;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.Role;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A learner may become a voter only once the leader has heard it acknowledge entries and it is
 * close to the leader's log: never a learner not reached yet, even while the log is short.
 */
class LearnerInSyncTest {
  private static final long LEADER = 1;
  private static final long LEARNER = 2;

  private final RaftNode leader =
      new RaftNode(
          RaftConfig.builder(LEADER).ticks(3, 1).build(),
          new ClusterConfig(List.of(LEADER), List.of(LEARNER)),
          RestoredState.empty(),
          new Random(1));

  private void elect() {
    for (int i = 0; i < 20 && leader.role() != Role.LEADER; i++) {
      leader.tick();
      while (leader.hasReady()) {
        leader.advance(leader.ready());
      }
    }
    assertThat(leader.role()).isEqualTo(Role.LEADER);
  }

  private void learnerAcknowledges(long matchIndex) {
    leader.step(
        new Message.AppendResponse(LEARNER, LEADER, leader.term(), true, matchIndex, 0, 0, 0));
  }

  @Test
  void aLearnerNeverReachedIsNotInSyncHoweverShortTheLog() {
    elect();
    assertThat(leader.lastIndex()).isLessThan(MembershipChanges.PROMOTE_LAG_ENTRIES);

    assertThat(MembershipChanges.inSync(leader, LEARNER)).isFalse();
  }

  @Test
  void aLearnerThatAcknowledgedTheLogIsInSync() {
    elect();
    learnerAcknowledges(leader.lastIndex());

    assertThat(MembershipChanges.inSync(leader, LEARNER)).isTrue();
  }
}
