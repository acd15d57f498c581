package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.LeaderTransfer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl move-leader ID */
@Command(
    name = "move-leader",
    description = {
      "Hands leadership to voter ID (etcd's Maintenance.MoveLeader) and prints 'Leadership"
          + " transferred from OLD to ID' once ID leads.",
      "The request goes to the leader: the endpoint whose status says it leads, else the leader's"
          + " client address from the member list. Exit code 5 when no leader is known or"
          + " leadership moved before the request arrived (nothing done); 4 when the transfer did"
          + " not finish in time (it may still happen); 1 when the server refuses the target"
          + " ('etcdserver: bad leader transferee': not a member, or a learner)."
    })
final class MoveLeaderCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Mixin MemberIdParameter target;

  @Override
  public Integer call() {
    LeaderTransfer transfer;
    try (BallotClient client = kvctl.openClient()) {
      transfer = client.moveLeader(target.id).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Json.object()
              .put("previous_leader_id", Json.unsigned(transfer.previousLeaderId()))
              .put("leader_id", Json.unsigned(transfer.leaderId())));
    } else {
      out.println(
          "Leadership transferred from "
              + Formats.memberId(transfer.previousLeaderId())
              + " to "
              + Formats.memberId(transfer.leaderId()));
    }
    return ExitCodes.OK;
  }
}
