package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.EndpointStatus;
import dev.ballot.client.MemberInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl status [--cluster] */
@Command(
    name = "status",
    description = {
      "Shows each endpoint's view of the cluster: one row per endpoint.",
      "NAME is the member's name (kvserver --name) from the member list, - when unknown;"
          + " LEADER the leader's id.",
      "ROLE is leader when the node's id is the leader it reports, learner for a learner,"
          + " follower otherwise; COMMIT INDEX is the Raft commit index, APPLIED INDEX the last"
          + " index applied, SNAPSHOT INDEX the index of the node's newest Raft snapshot (0: none), DB"
          + " SIZE the node's RocksDB files on disk, DB IN USE the same without the"
          + " space dead data still holds in them, by RocksDB's estimate (a defragment, etcdctl"
          + " defrag, frees that), ERRORS the node's alarms and 'etcdserver: no leader'. An endpoint that does not answer gets a line on stderr and the exit"
          + " code of its failure; the others are still printed."
    })
final class StatusCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Option(
      names = "--cluster",
      description = "Ask every member's client URLs, taken from the member list.")
  boolean cluster;

  /** One endpoint's answer or failure. */
  private record Row(String endpoint, EndpointStatus status, Throwable failure) {}

  /** Member names by id, from the member list (empty when it cannot be had). */
  private Map<Long, String> names = Map.of();

  @Override
  public Integer call() {
    List<Row> rows = new ArrayList<>();
    try (BallotClient client = kvctl.openClient()) {
      // The member list names the rows; without --cluster it is asked beside the statuses.
      CompletableFuture<List<MemberInfo>> members = client.members();
      List<String> targets = cluster ? memberEndpoints(members.join()) : client.endpoints();
      List<CompletableFuture<EndpointStatus>> answers = new ArrayList<>();
      for (String endpoint : targets) {
        answers.add(client.status(endpoint));
      }
      for (int i = 0; i < targets.size(); i++) {
        rows.add(row(targets.get(i), answers.get(i)));
      }
      names = new HashMap<>();
      for (MemberInfo member : members.exceptionally(error -> List.of()).join()) {
        names.put(member.id(), member.name());
      }
    }
    print(rows);
    int code = ExitCodes.OK;
    for (Row row : rows) {
      if (row.failure() != null) {
        spec.commandLine().getErr().println("kvctl: " + row.endpoint() + ": " + message(row));
        code = code == ExitCodes.OK ? ExitCodes.of(row.failure()) : code;
      }
    }
    return code;
  }

  private static List<String> memberEndpoints(List<MemberInfo> members) {
    Set<String> endpoints = new LinkedHashSet<>();
    for (MemberInfo member : members) {
      endpoints.addAll(member.clientUrls());
    }
    return List.copyOf(endpoints);
  }

  private static Row row(String endpoint, CompletableFuture<EndpointStatus> answer) {
    try {
      return new Row(endpoint, answer.join(), null);
    } catch (CompletionException e) {
      return new Row(endpoint, null, e.getCause() != null ? e.getCause() : e);
    }
  }

  private static String message(Row row) {
    String message = row.failure().getMessage();
    return message == null ? row.failure().getClass().getSimpleName() : message.replace('\n', ' ');
  }

  private static String role(EndpointStatus status) {
    if (status.isLearner()) {
      return "learner";
    }
    return status.isLeader() ? "leader" : "follower";
  }

  private void print(List<Row> rows) {
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      List<Json> endpoints = new ArrayList<>();
      for (Row row : rows) {
        endpoints.add(row.status() != null ? json(row.status()) : errorJson(row));
      }
      out.println(Json.object().put("endpoints", endpoints));
      return;
    }
    Table table =
        new Table(
            "ID",
            "NAME",
            "ENDPOINT",
            "ROLE",
            "TERM",
            "LEADER",
            "COMMIT INDEX",
            "APPLIED INDEX",
            "SNAPSHOT INDEX",
            "DB SIZE",
            "DB IN USE",
            "VERSION",
            "ERRORS");
    for (Row row : rows) {
      EndpointStatus status = row.status();
      if (status == null) {
        continue;
      }
      table.row(
          Formats.memberId(status.memberId()),
          name(status.memberId()),
          status.endpoint(),
          role(status),
          Long.toUnsignedString(status.raftTerm()),
          status.leaderId() == 0 ? "none" : Formats.memberId(status.leaderId()),
          Long.toUnsignedString(status.raftIndex()),
          Long.toUnsignedString(status.raftAppliedIndex()),
          Long.toUnsignedString(status.snapshotIndex()),
          Formats.bytes(status.dbSizeBytes()),
          Formats.bytes(status.dbSizeInUseBytes()),
          status.version(),
          String.join(", ", status.errors()));
    }
    table.print(out);
  }

  private String name(long memberId) {
    String name = names.get(memberId);
    return name == null || name.isEmpty() ? "-" : name;
  }

  private Json json(EndpointStatus status) {
    return Json.object()
        .put("endpoint", status.endpoint())
        .put("member_id", Json.unsigned(status.memberId()))
        .put("name", names.getOrDefault(status.memberId(), ""))
        .put("role", role(status))
        .put("raft_term", Json.unsigned(status.raftTerm()))
        .put("leader_id", Json.unsigned(status.leaderId()))
        .put("raft_index", Json.unsigned(status.raftIndex()))
        .put("raft_applied_index", Json.unsigned(status.raftAppliedIndex()))
        .put("snapshot_index", Json.unsigned(status.snapshotIndex()))
        .put("db_size", status.dbSizeBytes())
        .put("db_size_in_use", status.dbSizeInUseBytes())
        .put("version", status.version())
        .put("is_learner", status.isLearner())
        .put("errors", status.errors());
  }

  private static Json errorJson(Row row) {
    return Json.object().put("endpoint", row.endpoint()).put("error", message(row));
  }
}
