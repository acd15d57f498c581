package dev.ballot.node;

import static org.awaitility.Awaitility.await;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.RaftConfig;
import dev.ballot.raft.RaftNode;
import dev.ballot.raft.RestoredState;
import dev.ballot.raft.Role;
import dev.ballot.storage.RaftStorage;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/** A real driver over a one-voter cluster (it leads at once), with no peers to send to. */
final class SingleNodeDriver {
  private SingleNodeDriver() {}

  /** Starts the driver and waits until its node leads. */
  static <R> RaftDriver<R> start(
      RaftStorage storage, StateMachine<R> stateMachine, Consumer<Throwable> onFatal) {
    RaftNode node =
        new RaftNode(
            RaftConfig.builder(1).ticks(3, 1).build(),
            ClusterConfig.ofVoters(List.of(1L)),
            RestoredState.empty(),
            new Random(7));
    RaftDriver<R> driver =
        new RaftDriver<>(
            node,
            storage,
            inbox -> new DroppingTransport(),
            stateMachine,
            new SnapshotPolicy(0, 0),
            1,
            3,
            DriverRuntime.server(1, storage),
            onFatal);
    driver.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> driver.status().role() == Role.LEADER);
    return driver;
  }
}
