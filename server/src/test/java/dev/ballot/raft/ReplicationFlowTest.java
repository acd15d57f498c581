package dev.ballot.raft;

import static dev.ballot.raft.RaftNetwork.from;
import static dev.ballot.raft.RaftNetwork.ofType;
import static dev.ballot.raft.RaftNetwork.to;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.Message.AppendEntries;
import dev.ballot.raft.Message.AppendResponse;
import dev.ballot.raft.Message.InstallSnapshot;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-follower progress: probe, replicate within a window, batching, snapshot. */
class ReplicationFlowTest {

  private static List<AppendEntries> appendsWithEntries(List<Message> messages, long to) {
    return messages.stream()
        .filter(m -> m instanceof AppendEntries ae && !ae.entries().isEmpty())
        .map(AppendEntries.class::cast)
        .filter(ae -> to == ANY_PEER || ae.to() == to)
        .toList();
  }

  private static final long ANY_PEER = -1;

  private static long payloadBytes(AppendEntries ae) {
    return ae.entries().stream().mapToLong(Entry::sizeBytes).sum();
  }

  private static byte[] bytes(int size) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) 'x');
    return b;
  }

  @Test
  void probedFollowerGetsOneAppendAtATimeUntilItAnswers() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.on(1, n -> n.reportUnreachable(2)); // back to probing node 2
    int mark = net.sentCount();
    net.holdIf(to(2));

    net.propose(1, "a");
    net.propose(1, "b");
    net.propose(1, "c");
    net.deliverAll();

    assertThat(appendsWithEntries(net.held(), 2)).hasSize(1);
    assertThat(appendsWithEntries(net.sentSince(mark), 3)).as("node 3 streams").hasSize(3);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);
    assertThat(net.node(2).lastIndex()).isEqualTo(4);
    assertThat(appendsWithEntries(net.sentSince(mark), 2))
        .as("after the answer the rest goes out at once")
        .hasSize(2);
  }

  @Test
  void replicatingFollowerHasAtMostMaxInflightAppendsUnansweredThenOneMorePerAnswer()
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.maxInflightAppends(3));
    net.elect(1);
    int mark = net.sentCount();
    net.holdIf(ofType(AppendResponse.class));

    for (String command : List.of("a", "b", "c", "d", "e")) {
      net.propose(1, command);
    }
    net.deliverAll();

    assertThat(appendsWithEntries(net.sentSince(mark), 2))
        .extracting(ae -> ae.entries().get(ae.entries().size() - 1).index())
        .containsExactly(2L, 3L, 4L);
    assertThat(appendsWithEntries(net.sentSince(mark), 3)).hasSize(3);

    net.deliverHeld(m -> m instanceof AppendResponse ar && ar.from() == 2 && ar.matchIndex() == 2);

    List<AppendEntries> toNode2 = appendsWithEntries(net.sentSince(mark), 2);
    assertThat(toNode2).hasSize(4);
    assertThat(toNode2.get(3).entries()).extracting(Entry::index).containsExactly(5L, 6L);
    assertThat(appendsWithEntries(net.sentSince(mark), 3)).as("node 3's window is full").hasSize(3);
  }

  @Test
  void appendEntriesCarriesAtMostMaxAppendBytesOfPayloadButAlwaysAtLeastOneEntry()
      throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.maxAppendBytes(100));
    net.elect(1);
    int mark = net.sentCount();

    byte[][] tenOf30Bytes = new byte[10][];
    Arrays.fill(tenOf30Bytes, bytes(30));
    net.propose(1, tenOf30Bytes);
    long big = net.propose(1, bytes(250));
    net.deliverAll();

    List<AppendEntries> appends = appendsWithEntries(net.sentSince(mark), ANY_PEER);
    assertThat(appends)
        .allSatisfy(ae -> assertThat(ae.entries().size() == 1 || payloadBytes(ae) <= 100).isTrue());
    // Filled as far as the bound allows: three 30-byte entries, never four.
    assertThat(appends).extracting(ae -> ae.entries().size()).contains(3).allMatch(n -> n <= 3);
    assertThat(appends)
        .filteredOn(ae -> ae.entries().stream().anyMatch(e -> e.index() == big))
        .allSatisfy(ae -> assertThat(ae.entries()).hasSize(1));
    assertThat(net.node(2).commitIndex()).isEqualTo(big);
    assertThat(net.node(3).commitIndex()).isEqualTo(big);
  }

  @Test
  void followerBehindTheCompactedLogGetsASnapshotAndNothingElseUntilItAnswers() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1);
    net.elect(1);
    net.isolate(3);
    long compacted = net.propose(1, "a", "b", "c", "d", "e");
    net.deliverAll();
    net.compact(1, compacted);
    net.heal();
    net.holdIf(ofType(InstallSnapshot.class));

    net.tickAndDeliver(1);

    assertThat(net.held())
        .singleElement()
        .isInstanceOfSatisfying(
            InstallSnapshot.class,
            is -> {
              assertThat(is.to()).isEqualTo(3);
              assertThat(is.snapshot().index()).isEqualTo(compacted);
            });

    int mark = net.sentCount();
    net.propose(1, "f");
    net.tickAndDeliver(5);
    assertThat(net.sentSince(mark))
        .as("no appends and no second snapshot while one is pending")
        .noneMatch(
            m -> m.to() == 3 && (m instanceof AppendEntries || m instanceof InstallSnapshot));
    assertThat(net.sent(Message.HeartbeatResponse.class)).anyMatch(from(3)::test);

    net.stopDroppingAndHolding();
    net.deliverHeld(m -> true);

    assertThat(net.installedSnapshot(3).index()).isEqualTo(compacted);
    assertThat(net.node(3).lastIndex()).isEqualTo(compacted + 1);
    assertThat(net.node(3).commitIndex()).isEqualTo(compacted + 1);
    assertThat(net.appliedCommands(3)).containsExactly("f");
  }

  @Test
  void followerThatMissedAFullWindowOfAppendsCatchesUpOnceReachableAgain() throws Exception {
    RaftNetwork net = RaftNetwork.of(3, 1, b -> b.maxInflightAppends(2));
    net.elect(1);
    net.isolate(3);
    for (String command : List.of("a", "b", "c")) {
      net.propose(1, command);
      net.deliverAll();
    }

    net.heal();
    net.tickAndDeliver(30);

    assertThat(net.node(1).role()).isEqualTo(Role.LEADER);
    assertThat(net.node(3).leaderId()).isEqualTo(1);
    assertThat(net.node(3).lastIndex()).isEqualTo(net.node(1).lastIndex());
    assertThat(net.node(3).commitIndex()).isEqualTo(net.node(1).commitIndex());
  }
}
