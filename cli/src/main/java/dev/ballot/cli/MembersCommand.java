package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.MemberInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl members (also kvctl member list) */
@Command(name = "members", description = MembersCommand.DESCRIPTION)
final class MembersCommand implements Callable<Integer> {
  static final String DESCRIPTION =
      "Lists the cluster's members: id (hex), name, peer and client addresses, learner"
          + " (true for a non-voting learner).";

  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return list(kvctl, spec.commandLine().getOut());
  }

  /** Fetches the member list and prints it as a table or one JSON line. */
  static int list(Kvctl kvctl, PrintWriter out) {
    List<MemberInfo> members;
    try (BallotClient client = kvctl.openClient()) {
      members = client.members().join();
    }
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(Json.object().put("members", members.stream().map(Formats::json).toList()));
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
