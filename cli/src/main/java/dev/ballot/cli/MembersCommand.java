package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.MemberInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl members */
@Command(
    name = "members",
    description =
        "Lists the cluster's members: id (hex), name, peer and client addresses, learner.")
final class MembersCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<MemberInfo> members;
    try (BallotClient client = kvctl.openClient()) {
      members = client.members().join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      List<Json> list = new ArrayList<>();
      for (MemberInfo member : members) {
        list.add(
            Json.object()
                .put("id", Json.unsigned(member.id()))
                .put("name", member.name())
                .put("peer_urls", member.peerUrls())
                .put("client_urls", member.clientUrls())
                .put("is_learner", member.isLearner()));
      }
      out.println(Json.object().put("members", list));
      return ExitCodes.OK;
    }
    Table table = new Table("ID", "NAME", "PEER ADDRS", "CLIENT ADDRS", "LEARNER");
    for (MemberInfo member : members) {
      table.row(
          Formats.memberId(member.id()),
          member.name(),
          String.join(",", member.peerUrls()),
          String.join(",", member.clientUrls()),
          Boolean.toString(member.isLearner()));
    }
    table.print(out);
    return ExitCodes.OK;
  }
}
