package dev.ballot.transport;

import com.google.protobuf.UnsafeByteOperations;
import dev.ballot.proto.raft.v1.AppendEntriesRequest;
import dev.ballot.proto.raft.v1.AppendEntriesResponse;
import dev.ballot.proto.raft.v1.HeartbeatRequest;
import dev.ballot.proto.raft.v1.HeartbeatResponse;
import dev.ballot.proto.raft.v1.InstallSnapshotRequest;
import dev.ballot.proto.raft.v1.RaftMessage;
import dev.ballot.proto.raft.v1.ReadIndexRequest;
import dev.ballot.proto.raft.v1.ReadIndexResponse;
import dev.ballot.proto.raft.v1.RequestVoteRequest;
import dev.ballot.proto.raft.v1.RequestVoteResponse;
import dev.ballot.proto.raft.v1.SnapshotMetadata;
import dev.ballot.proto.raft.v1.TimeoutNowRequest;
import dev.ballot.raft.ClusterConfig;
import dev.ballot.raft.Entry;
import dev.ballot.raft.EntryType;
import dev.ballot.raft.Message;
import dev.ballot.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/** Translates the core's messages to the peer protocol ({@code ballot.raft.v1}) and back. */
public final class MessageCodec {
  private MessageCodec() {}

  public static RaftMessage encode(long clusterId, Message message) {
    RaftMessage.Builder b = RaftMessage.newBuilder().setClusterId(clusterId);
    if (message instanceof Message.RequestVote m) {
      b.setRequestVote(
          RequestVoteRequest.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setLastLogIndex(m.lastLogIndex())
              .setLastLogTerm(m.lastLogTerm())
              .setPreVote(m.preVote())
              .setTransfer(m.transfer())
              .setLeaderGone(m.leaderGone()));
    } else if (message instanceof Message.VoteResponse m) {
      b.setRequestVoteResponse(
          RequestVoteResponse.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setGranted(m.granted())
              .setPreVote(m.preVote()));
    } else if (message instanceof Message.AppendEntries m) {
      AppendEntriesRequest.Builder ab =
          AppendEntriesRequest.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setPrevLogIndex(m.prevLogIndex())
              .setPrevLogTerm(m.prevLogTerm())
              .setLeaderCommit(m.leaderCommit());
      for (Entry e : m.entries()) {
        ab.addEntries(encodeEntry(e));
      }
      b.setAppendEntries(ab);
    } else if (message instanceof Message.AppendResponse m) {
      b.setAppendEntriesResponse(
          AppendEntriesResponse.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setSuccess(m.success())
              .setMatchIndex(m.matchIndex())
              .setRejectedIndex(m.rejectedIndex())
              .setConflictIndex(m.conflictIndex())
              .setConflictTerm(m.conflictTerm()));
    } else if (message instanceof Message.Heartbeat m) {
      b.setHeartbeat(
          HeartbeatRequest.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setLeaderCommit(m.leaderCommit())
              .setReadRound(m.readRound()));
    } else if (message instanceof Message.HeartbeatResponse m) {
      b.setHeartbeatResponse(
          HeartbeatResponse.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setReadRound(m.readRound()));
    } else if (message instanceof Message.ReadIndexRequest m) {
      b.setReadIndex(
          ReadIndexRequest.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setContext(m.context()));
    } else if (message instanceof Message.ReadIndexResponse m) {
      b.setReadIndexResponse(
          ReadIndexResponse.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setContext(m.context())
              .setReadIndex(m.readIndex()));
    } else if (message instanceof Message.InstallSnapshot m) {
      b.setInstallSnapshot(
          InstallSnapshotRequest.newBuilder()
              .setFrom(m.from())
              .setTo(m.to())
              .setTerm(m.term())
              .setMetadata(encodeSnapshotMeta(m.snapshot())));
    } else if (message instanceof Message.TimeoutNow m) {
      b.setTimeoutNow(
          TimeoutNowRequest.newBuilder().setFrom(m.from()).setTo(m.to()).setTerm(m.term()));
    } else {
      throw new IllegalArgumentException("no wire form for " + message);
    }
    return b.build();
  }

  /**
   * @throws IllegalArgumentException if the envelope is empty or malformed
   */
  public static Message decode(RaftMessage wire) {
    switch (wire.getBodyCase()) {
      case REQUEST_VOTE -> {
        RequestVoteRequest m = wire.getRequestVote();
        return new Message.RequestVote(
            m.getFrom(),
            m.getTo(),
            m.getTerm(),
            m.getLastLogIndex(),
            m.getLastLogTerm(),
            m.getPreVote(),
            m.getTransfer(),
            m.getLeaderGone());
      }
      case REQUEST_VOTE_RESPONSE -> {
        RequestVoteResponse m = wire.getRequestVoteResponse();
        return new Message.VoteResponse(
            m.getFrom(), m.getTo(), m.getTerm(), m.getGranted(), m.getPreVote());
      }
      case APPEND_ENTRIES -> {
        AppendEntriesRequest m = wire.getAppendEntries();
        List<Entry> entries = new ArrayList<>(m.getEntriesCount());
        for (dev.ballot.proto.raft.v1.Entry e : m.getEntriesList()) {
          entries.add(decodeEntry(e));
        }
        return new Message.AppendEntries(
            m.getFrom(),
            m.getTo(),
            m.getTerm(),
            m.getPrevLogIndex(),
            m.getPrevLogTerm(),
            entries,
            m.getLeaderCommit());
      }
      case APPEND_ENTRIES_RESPONSE -> {
        AppendEntriesResponse m = wire.getAppendEntriesResponse();
        return new Message.AppendResponse(
            m.getFrom(),
            m.getTo(),
            m.getTerm(),
            m.getSuccess(),
            m.getMatchIndex(),
            m.getRejectedIndex(),
            m.getConflictIndex(),
            m.getConflictTerm());
      }
      case HEARTBEAT -> {
        HeartbeatRequest m = wire.getHeartbeat();
        return new Message.Heartbeat(
            m.getFrom(), m.getTo(), m.getTerm(), m.getLeaderCommit(), m.getReadRound());
      }
      case HEARTBEAT_RESPONSE -> {
        HeartbeatResponse m = wire.getHeartbeatResponse();
        return new Message.HeartbeatResponse(m.getFrom(), m.getTo(), m.getTerm(), m.getReadRound());
      }
      case READ_INDEX -> {
        ReadIndexRequest m = wire.getReadIndex();
        return new Message.ReadIndexRequest(m.getFrom(), m.getTo(), m.getTerm(), m.getContext());
      }
      case READ_INDEX_RESPONSE -> {
        ReadIndexResponse m = wire.getReadIndexResponse();
        return new Message.ReadIndexResponse(
            m.getFrom(), m.getTo(), m.getTerm(), m.getContext(), m.getReadIndex());
      }
      case INSTALL_SNAPSHOT -> {
        InstallSnapshotRequest m = wire.getInstallSnapshot();
        return new Message.InstallSnapshot(
            m.getFrom(), m.getTo(), m.getTerm(), decodeSnapshotMeta(m.getMetadata()));
      }
      case TIMEOUT_NOW -> {
        TimeoutNowRequest m = wire.getTimeoutNow();
        return new Message.TimeoutNow(m.getFrom(), m.getTo(), m.getTerm());
      }
      default -> throw new IllegalArgumentException("empty raft message");
    }
  }

  static dev.ballot.proto.raft.v1.Entry encodeEntry(Entry e) {
    return dev.ballot.proto.raft.v1.Entry.newBuilder()
        .setTerm(e.term())
        .setIndex(e.index())
        .setTypeValue(e.type().ordinal())
        // Entry data is never mutated (Entry's contract): no copy per follower and message.
        .setData(UnsafeByteOperations.unsafeWrap(e.data()))
        .build();
  }

  static Entry decodeEntry(dev.ballot.proto.raft.v1.Entry e) {
    EntryType[] types = EntryType.values();
    int type = e.getTypeValue();
    if (type < 0 || type >= types.length) {
      throw new IllegalArgumentException(
          "unknown entry type " + type + " at index " + e.getIndex());
    }
    return new Entry(e.getTerm(), e.getIndex(), types[type], e.getData().toByteArray());
  }

  static SnapshotMetadata encodeSnapshotMeta(SnapshotMeta meta) {
    return SnapshotMetadata.newBuilder()
        .setIndex(meta.index())
        .setTerm(meta.term())
        .setConfig(
            dev.ballot.proto.raft.v1.ClusterConfig.newBuilder()
                .addAllVoters(meta.config().voters())
                .addAllLearners(meta.config().learners()))
        .build();
  }

  static SnapshotMeta decodeSnapshotMeta(SnapshotMetadata m) {
    return new SnapshotMeta(
        m.getIndex(),
        m.getTerm(),
        new ClusterConfig(m.getConfig().getVotersList(), m.getConfig().getLearnersList()));
  }
}
