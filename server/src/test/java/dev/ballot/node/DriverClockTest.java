package dev.ballot.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.Message;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.Role;
import dev.ballot.storage.InMemoryRaftStorage;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the driver's clock turns into the core's ticks when its loop runs late: a follower of a
 * 3-node cluster, on a clock the test moves, whose turns the test runs as the driver's thread
 * would.
 */
class DriverClockTest {
  private static final long TICK_MS = 10;
  private static final int ELECTION_TICKS = 50;
  private static final int HEARTBEAT_TICKS = 5;

  private long nowNanos = 1_000_000_000L;
  private final DroppingTransport transport = new DroppingTransport();
  private final ManualRunner runner = new ManualRunner();
  private final InMemoryRaftStorage storage = new InMemoryRaftStorage();
  private final RaftDriver<Void> driver =
      new RaftDriver<>(
          new RaftNode(
              RaftConfig.builder(2).ticks(ELECTION_TICKS, HEARTBEAT_TICKS).build(),
              ClusterConfig.ofVoters(List.of(1L, 2L, 3L)),
              RestoredState.empty(),
              new Random(7)),
          storage,
          inbox -> transport,
          new NothingApplied(),
          new SnapshotPolicy(0, 0),
          TICK_MS,
          ELECTION_TICKS,
          new DriverRuntime(runner, LogWriter.synced(storage), () -> nowNanos, new Random(7)),
          e -> {
            throw new AssertionError(e);
          });

  @Test
  void stallsOfTheWholeMachineDoNotAddUpToAnElection() {
    driver.start();
    heartbeatFromLeader();
    assertThat(driver.status().leaderId()).isEqualTo(1);

    // Three stalls of 450 ms each (a pause, the machine stuck behind its disk): the leader's
    // heartbeats were held up by the same stall and come only after this node's loop ran again.
    turnsEvery(45, 3);
    // Replayed whole, the missed ticks would make 135 ticks without a heartbeat: past any
    // randomized election timeout (50 to 99 ticks). Each stall counts as a heartbeat interval.
    assertThat(preVotesSent()).isZero();
    assertThat(driver.status().role()).isEqualTo(Role.FOLLOWER);

    heartbeatFromLeader();
    assertThat(driver.status().leaderId()).isEqualTo(1);
    assertThat(preVotesSent()).isZero();
  }

  @Test
  void aStallCountsAsOneHeartbeatIntervalOfTicks() {
    driver.start();
    heartbeatFromLeader();

    turnsEvery(45, 9); // 45 ticks: under the shortest election timeout
    assertThat(driver.status().role()).isEqualTo(Role.FOLLOWER);
    turnsEvery(45, 11); // 100 ticks: past the longest
    assertThat(driver.status().role()).isEqualTo(Role.PRE_CANDIDATE);
  }

  @Test
  void aLeaderHeartbeatsRightAfterAStall() {
    driver.start();
    becomeLeader();
    transport.sent.clear();

    turnsEvery(45, 1);
    assertThat(
            transport.sent.stream()
                .filter(m -> m instanceof Message.Heartbeat)
                .map(Message::to)
                .distinct())
        .containsExactlyInAnyOrder(1L, 3L);
  }

  @Test
  void aLeaderSilentForTwoElectionTimeoutsOfOnTimeTurnsIsStillDeposed() {
    driver.start();
    heartbeatFromLeader();

    turnsEvery(1, 2 * ELECTION_TICKS);
    assertThat(preVotesSent()).isPositive();
    assertThat(driver.status().role()).isEqualTo(Role.PRE_CANDIDATE);
  }

  @Test
  void turnsLateByLessThanAHeartbeatKeepEveryTick() {
    driver.start();
    heartbeatFromLeader();

    // Turns 40 ms apart, each 30 ms late (CPU contention, not a stall), lose no time: two election
    // timeouts of them depose a silent leader as on-time turns would.
    turnsEvery(4, 2 * ELECTION_TICKS / 4);
    assertThat(driver.status().role()).isEqualTo(Role.PRE_CANDIDATE);
  }

  /**
   * {@code times} times: {@code ticks} ticks pass with the loop not running (one: it runs on time),
   * then it runs and catches up as it would.
   */
  private void turnsEvery(int ticks, int times) {
    for (int i = 0; i < times; i++) {
      nowNanos += TimeUnit.MILLISECONDS.toNanos(ticks * TICK_MS);
      runner.runDueTurns();
    }
  }

  /** Times out with no leader, then wins the pre-vote and the vote with node 1's. */
  private void becomeLeader() {
    turnsEvery(1, 2 * ELECTION_TICKS);
    assertThat(driver.status().role()).isEqualTo(Role.PRE_CANDIDATE);
    driver.receive(new Message.VoteResponse(1, 2, 1, true, true));
    runner.runDueTurns();
    assertThat(driver.status().role()).isEqualTo(Role.CANDIDATE);
    driver.receive(new Message.VoteResponse(1, 2, driver.status().term(), true, false));
    runner.runDueTurns();
    assertThat(driver.status().role()).isEqualTo(Role.LEADER);
  }

  private void heartbeatFromLeader() {
    driver.receive(new Message.Heartbeat(1, 2, 1, 0, 0));
    runner.runDueTurns();
  }

  private long preVotesSent() {
    return transport.sent.stream()
        .filter(m -> m instanceof Message.RequestVote rv && rv.preVote())
        .count();
  }

  /** Runs the driver's turns that are due now, as its thread would, and nothing in between. */
  private final class ManualRunner implements NodeRunner {
    private WorkLoop loop;

    @Override
    public void start(WorkLoop driverLoop, WorkLoop applierLoop) {
      this.loop = driverLoop;
    }

    void runDueTurns() {
      for (int turn = 0; turn < 10_000; turn++) {
        if (loop.runOnce() > 0) {
          return;
        }
      }
      throw new AssertionError("the driver never waited");
    }

    @Override
    public void wake(WorkLoop woken) {}

    @Override
    public Executor background() {
      return Runnable::run;
    }

    @Override
    public Executor snapshots() {
      return Runnable::run;
    }

    @Override
    public boolean awaitStopped() {
      return true;
    }
  }

  /** A state machine this follower never gets an entry for. */
  private static final class NothingApplied implements StateMachine<Void> {
    @Override
    public long appliedIndex() {
      return 0;
    }

    @Override
    public Void apply(Entry entry) {
      throw new AssertionError("nothing was committed");
    }

    @Override
    public void applyEmpty(long index) {
      throw new AssertionError("nothing was committed");
    }
  }
}
