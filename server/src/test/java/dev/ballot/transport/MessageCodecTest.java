package dev.ballot.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.Message;
import dev.ballot.raft.SnapshotMeta;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageCodecTest {
  @Test
  void everyMessageKindSurvivesTheWire() {
    List<Message> messages =
        List.of(
            new Message.RequestVote(1, 2, 7, 10, 6, true, false),
            new Message.VoteResponse(2, 1, 7, true, true),
            new Message.AppendEntries(
                1,
                3,
                7,
                9,
                6,
                List.of(
                    new Entry(7, 10, EntryType.NOOP, new byte[0]),
                    new Entry(7, 11, EntryType.NORMAL, new byte[] {1, 2, 3})),
                8),
            new Message.AppendResponse(3, 1, 7, false, 0, 9, 5, 4),
            new Message.Heartbeat(1, 2, 7, 11, 42),
            new Message.HeartbeatResponse(2, 1, 7, 42),
            new Message.ReadIndexRequest(2, 1, 7, 99),
            new Message.ReadIndexResponse(1, 2, 7, 99, 11),
            new Message.InstallSnapshot(
                1, 2, 7, new SnapshotMeta(100, 6, ClusterConfig.ofVoters(List.of(1L, 2L, 3L)))),
            new Message.TimeoutNow(1, 3, 7));
    for (Message m : messages) {
      assertThat(MessageCodec.decode(MessageCodec.encode(0xabc, m))).isEqualTo(m);
      assertThat(MessageCodec.encode(0xabc, m).getClusterId()).isEqualTo(0xabc);
    }
  }
}
