package dev.ballot.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ballot.etcd.api.MaintenanceGrpc;
import dev.ballot.etcd.api.StatusRequest;
import dev.ballot.etcd.api.StatusResponse;
import dev.ballot.membership.Membership;
import dev.ballot.node.NodeStatus;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * {@code /v1/status}: this node's own view, and each member's answer to a Status call on its client
 * port (as {@code etcdctl endpoint status --cluster} asks), so that every node shows every member's
 * health and how far it is behind. One round of calls at a time, its answer reused for a second.
 */
final class StatusView implements AutoCloseable {
  static final long PROBE_DEADLINE_MS = 800;
  private static final long REUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(900);

  /** One member's answer, or why there is none. */
  record Probe(Membership.Member member, StatusResponse answer, String error) {}

  private final NodeView node;
  private final Map<String, ManagedChannel> channels = new HashMap<>();
  private CompletableFuture<List<Probe>> round;
  private long roundStartedNanos;
  private boolean closed;

  /** Where probe answers arrive: not gRPC's network threads, which carry Raft's traffic. */
  private final Executor work;

  StatusView(NodeView node, Executor work) {
    this.node = node;
    this.work = work;
  }

  /** The status object of /v1/status, rendered on {@code executor}. */
  CompletableFuture<ObjectNode> status(Executor executor) {
    return probes().thenApplyAsync(this::render, executor);
  }

  /** The latest round of member probes, or a new one if it is older than a second. */
  synchronized CompletableFuture<List<Probe>> probes() {
    long now = System.nanoTime();
    if (round != null && (!round.isDone() || now - roundStartedNanos < REUSE_NANOS)) {
      return round;
    }
    roundStartedNanos = now;
    Membership membership = node.members().members();
    List<CompletableFuture<Probe>> calls = new ArrayList<>();
    Set<String> addresses = new HashSet<>();
    for (Membership.Member m : membership.members()) {
      addresses.add(m.clientAddr());
      if (m.id() == node.nodeId()) {
        calls.add(CompletableFuture.completedFuture(new Probe(m, null, null)));
      } else {
        calls.add(probe(m));
      }
    }
    channels.keySet().removeIf(addr -> !addresses.contains(addr) && shutdown(channels.get(addr)));
    round =
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
            .thenApply(v -> calls.stream().map(CompletableFuture::join).toList());
    return round;
  }

  private static boolean shutdown(ManagedChannel channel) {
    channel.shutdownNow();
    return true;
  }

  private CompletableFuture<Probe> probe(Membership.Member m) {
    if (closed) {
      return CompletableFuture.completedFuture(new Probe(m, null, "stopping"));
    }
    ManagedChannel channel =
        channels.computeIfAbsent(
            m.clientAddr(),
            addr -> NettyChannelBuilder.forTarget(addr).usePlaintext().executor(work).build());
    return Loopback.call(
            MaintenanceGrpc.newStub(channel)
                    .withDeadlineAfter(PROBE_DEADLINE_MS, TimeUnit.MILLISECONDS)
                ::status,
            StatusRequest.getDefaultInstance())
        .handle(
            (answer, error) ->
                error == null ? new Probe(m, answer, null) : new Probe(m, null, describe(error)));
  }

  private static String describe(Throwable error) {
    if (error instanceof StatusRuntimeException s) {
      String d = s.getStatus().getDescription();
      return switch (s.getStatus().getCode()) {
        case UNAVAILABLE -> "unreachable" + (d == null ? "" : ": " + d);
        case DEADLINE_EXCEEDED -> "no answer within " + PROBE_DEADLINE_MS + " ms";
        default -> s.getStatus().getCode() + (d == null ? "" : ": " + d);
      };
    }
    return error.toString();
  }

  private ObjectNode render(List<Probe> probes) {
    NodeStatus s = node.status();
    long applied = node.driver().appliedIndex();
    ObjectNode out = JsonCodec.object();
    out.put("time_ms", System.currentTimeMillis());
    ObjectNode self = out.putObject("node");
    self.put("id", node.nodeId());
    self.put("name", node.nameOf(node.nodeId()));
    self.put("cluster_id", Long.toUnsignedString(node.clusterId()));
    self.put("role", node.role());
    self.put("term", s.term());
    self.put("leader_id", s.leaderId());
    self.put("leader_name", node.nameOf(s.leaderId()));
    self.put("commit_index", s.commitIndex());
    self.put("applied_index", applied);
    self.put("last_index", s.lastIndex());
    self.put("snapshot_index", node.storage().snapshotIndex());
    self.put("revision", node.kv().revision());
    self.put("compact_revision", node.kv().compactRevision());
    self.put("db_size_bytes", node.dbSizeBytes().getAsLong());
    self.put("client_addr", node.clientAddr());

    // The newest log any member reports (the leader's, normally): lag is measured from it.
    long newest = s.lastIndex();
    for (Probe p : probes) {
      if (p.answer() != null) {
        newest = Math.max(newest, p.answer().getRaftIndex());
      }
    }
    ArrayNode members = out.putArray("members");
    for (Probe p : probes) {
      Membership.Member m = p.member();
      ObjectNode row = members.addObject();
      row.put("id", m.id());
      row.put("name", m.displayName());
      row.put("peer_addr", m.peerAddr());
      row.put("client_addr", m.clientAddr());
      row.put("learner", m.learner());
      if (m.id() == node.nodeId()) {
        row.put("healthy", s.leaderId() != 0);
        row.put("role", node.role());
        row.put("term", s.term());
        row.put("leader_id", s.leaderId());
        row.put("raft_index", s.lastIndex());
        row.put("applied_index", applied);
        row.put("lag", Math.max(0, newest - applied));
        row.putNull("error");
        if (s.leaderId() == 0) {
          row.put("error", "no leader");
        }
      } else if (p.answer() != null) {
        StatusResponse a = p.answer();
        boolean leader = a.getLeader() != 0 && a.getLeader() == a.getHeader().getMemberId();
        row.put("healthy", a.getLeader() != 0 && a.getErrorsCount() == 0);
        row.put("role", a.getIsLearner() ? "learner" : leader ? "leader" : "follower");
        row.put("term", a.getRaftTerm());
        row.put("leader_id", a.getLeader());
        row.put("raft_index", a.getRaftIndex());
        row.put("applied_index", a.getRaftAppliedIndex());
        row.put("lag", Math.max(0, newest - a.getRaftAppliedIndex()));
        if (a.getLeader() == 0) {
          row.put("error", "no leader");
        } else if (a.getErrorsCount() > 0) {
          row.put("error", String.join("; ", a.getErrorsList()));
        } else {
          row.putNull("error");
        }
      } else {
        row.put("healthy", false);
        row.putNull("role");
        row.putNull("term");
        row.putNull("leader_id");
        row.putNull("raft_index");
        row.putNull("applied_index");
        row.putNull("lag");
        row.put("error", p.error());
      }
    }
    return out;
  }

  /** {@code /v1/members}: the applied membership. */
  ObjectNode members() {
    ObjectNode out = JsonCodec.object();
    ArrayNode list = out.putArray("members");
    for (Membership.Member m : node.members().members().members()) {
      list.addObject()
          .put("id", m.id())
          .put("name", m.displayName())
          .put("peer_addr", m.peerAddr())
          .put("client_addr", m.clientAddr())
          .put("learner", m.learner());
    }
    return out;
  }

  @Override
  public synchronized void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
