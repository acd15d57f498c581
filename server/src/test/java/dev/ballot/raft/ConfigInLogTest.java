package dev.ballot.raft;

import static dev.ballot.raft.MembershipSteps.addLearner;
import static dev.ballot.raft.MembershipSteps.config;
import static dev.ballot.raft.MembershipSteps.promote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A configuration is in force on a node as soon as its entry is in the node's log (thesis 4.1),
 * committed or not; it goes away with the entry, and survives compaction and snapshots.
 */
class ConfigInLogTest {
  private static final ClusterConfig FIVE = ClusterConfig.ofVoters(List.of(1L, 2L, 3L, 4L, 5L));
  private static final ClusterConfig FIVE_AND_LEARNER =
      config(List.of(1L, 2L, 3L, 4L, 5L), List.of(6L));

  @Test
  void followerAdoptsAConfigurationOnAppendAndRevertsWhenANewLeaderTruncatesIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(5, 1);
    net.elect(1);
    // The entry reaches node 2 only, and node 2's answer is lost: it cannot commit.
    net.dropIf(
        m ->
            (m instanceof AppendEntries && m.from() == 1 && m.to() != 2)
                || (m instanceof AppendResponse && m.from() == 2));
    long index = net.proposeConfig(1, FIVE_AND_LEARNER);
    net.deliverAll();

    assertThat(net.node(2).cluster()).isEqualTo(FIVE_AND_LEARNER);
    assertThat(net.node(2).configIndex()).isEqualTo(index);
    assertThat(net.node(2).commitIndex()).isLessThan(index);
    assertThat(net.node(3).cluster()).isEqualTo(FIVE);

    // Nodes 3-5 elect a leader that never saw the entry; it overwrites index 2 on node 2.
    net.stopDroppingAndHolding();
    net.partition(List.of(3L, 4L, 5L));
    net.tickUntil(
        () -> net.leadsLatestTerm(3) || net.leadsLatestTerm(4) || net.leadsLatestTerm(5), 200);
    long leader = net.ids().stream().filter(net::leadsLatestTerm).findFirst().orElseThrow();
    net.partition(List.of(2L, 3L, 4L, 5L));
    net.tickUntil(() -> net.node(2).termAt(index) == net.node(leader).term(), 50);

    assertThat(net.node(2).entryAt(index).type()).isEqualTo(EntryType.NOOP);
    assertThat(net.node(2).cluster()).isEqualTo(FIVE);
    assertThat(net.node(2).configIndex()).isZero();
    assertThat(net.node(2).configAt(index)).isEqualTo(FIVE);
  }

  @Test
  void configAtAnswersForEveryIndexAfterCompaction() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    long added = addLearner(net, 1, 4);
    long a = net.propose(1, "a");
    long promoted = promote(net, 1, 4);
    long b = net.propose(1, "b");
    net.deliverAll();
    ClusterConfig withLearner = config(List.of(1L, 2L, 3L), List.of(4L));
    ClusterConfig four = ClusterConfig.ofVoters(List.of(1L, 2L, 3L, 4L));
    assertThat(net.node(1).configAt(added - 1))
        .isEqualTo(ClusterConfig.ofVoters(List.of(1L, 2L, 3L)));

    net.compact(1, a);

    assertThat(net.node(1).configAt(a)).isEqualTo(withLearner);
    assertThat(net.node(1).configAt(promoted)).isEqualTo(four);
    assertThat(net.node(1).configAt(b)).isEqualTo(four);
    assertThat(net.node(1).cluster()).isEqualTo(four);
    assertThat(net.node(1).configIndex()).isEqualTo(promoted);
    assertThatThrownBy(() -> net.node(1).configAt(added))
        .isInstanceOf(IllegalArgumentException.class);

    net.compact(1, b);

    assertThat(net.node(1).configAt(b)).isEqualTo(four);
    assertThat(net.node(1).cluster()).isEqualTo(four);
    assertThat(net.node(1).configIndex()).as("the config is folded into the snapshot").isEqualTo(b);

    net.restart(1);
    assertThat(net.node(1).cluster()).as("after a restart from the snapshot").isEqualTo(four);
  }

  @Test
  void snapshotTakenAfterAChangeCarriesItToAFollowerThatInstallsIt() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.isolate(3);
    long added = net.proposeConfig(1, config(List.of(1L, 2L, 3L), List.of(4L)));
    long last = net.propose(1, "x");
    net.deliverAll();
    assertThat(net.node(1).commitIndex()).isEqualTo(last);
    net.compact(1, last);
    assertThat(net.node(3).cluster()).isEqualTo(ClusterConfig.ofVoters(List.of(1L, 2L, 3L)));

    net.heal();
    net.tickAndDeliver(2);

    ClusterConfig withLearner = config(List.of(1L, 2L, 3L), List.of(4L));
    assertThat(net.installedSnapshot(3).index()).isEqualTo(last);
    assertThat(net.installedSnapshot(3).config()).isEqualTo(withLearner);
    assertThat(net.node(3).cluster()).isEqualTo(withLearner);
    assertThat(net.node(3).configAt(last)).isEqualTo(withLearner);
    assertThat(net.node(3).firstIndex()).isGreaterThan(added);

    net.restart(3);
    assertThat(net.node(3).cluster())
        .as("after a restart from the snapshot")
        .isEqualTo(withLearner);
  }

  @Test
  void aSnapshotMustCarryTheConfigurationInForceAtItsIndex() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    long a = net.propose(1, "a");
    net.deliverAll();
    net.proposeConfig(1, config(List.of(1L, 2L, 3L), List.of(4L)));

    // The newest configuration is not the one in force at index a: such a snapshot would hand a
    // follower a configuration that may never commit.
    RaftNode leader = net.node(1);
    SnapshotMeta wrong = new SnapshotMeta(a, leader.termAt(a), leader.cluster());
    assertThatThrownBy(() -> leader.compact(wrong, a)).isInstanceOf(IllegalArgumentException.class);
    assertThat(leader.firstIndex()).isEqualTo(1);
  }
}
