package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.MemberInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl member list | remove ID | promote ID | update ID --peer-addr HOST:PORT */
@Command(
    name = "member",
    description =
        "Lists and changes the cluster's members. Ids are hex, as 'kvctl members' prints them.",
    subcommands = {
      MemberCommand.ListMembers.class,
      MemberCommand.Remove.class,
      MemberCommand.Promote.class,
      MemberCommand.Update.class
    })
final class MemberCommand implements Runnable {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing subcommand: list, remove, promote or update");
  }

  /** kvctl member list: the same as kvctl members. */
  @Command(name = "list", description = MembersCommand.DESCRIPTION)
  static final class ListMembers implements Callable<Integer> {
    @ParentCommand MemberCommand parent;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      return MembersCommand.list(parent.kvctl, spec.commandLine().getOut());
    }
  }

  /** kvctl member remove ID */
  @Command(
      name = "remove",
      description = {
        "Removes member ID from the cluster (etcd's Cluster.MemberRemove) and prints 'Member ID"
            + " removed'. The removed node no longer takes part; it cannot come back with its old"
            + " data.",
        "Exit code 1 with 'etcdserver: member not found' when no member has that id (also when"
            + " it is already gone); exit code 4 when the answer did not come in time: the removal"
            + " may or may not have happened, check with 'kvctl members'."
      })
  static final class Remove implements Callable<Integer> {
    @ParentCommand MemberCommand parent;
    @Spec CommandSpec spec;

    @Mixin MemberIdParameter member;

    @Override
    public Integer call() {
      return change(parent.kvctl, spec, member.id, BallotClient::removeMember, "removed");
    }
  }

  /** kvctl member promote ID */
  @Command(
      name = "promote",
      description = {
        "Turns learner ID into a voting member (etcd's Cluster.MemberPromote) and prints"
            + " 'Member ID promoted'.",
        "The server refuses (exit code 1) a member that is not a learner and a learner whose log"
            + " is still behind the leader's."
      })
  static final class Promote implements Callable<Integer> {
    @ParentCommand MemberCommand parent;
    @Spec CommandSpec spec;

    @Mixin MemberIdParameter member;

    @Override
    public Integer call() {
      return change(parent.kvctl, spec, member.id, BallotClient::promoteMember, "promoted");
    }
  }

  /** kvctl member update ID --peer-addr HOST:PORT */
  @Command(
      name = "update",
      description = {
        "Moves member ID's peer port to HOST:PORT (etcd's Cluster.MemberUpdate, etcdctl member"
            + " update ID --peer-urls=http://HOST:PORT) and prints 'Member ID updated'. Every"
            + " member's links to ID switch to the new address once the change commits; then"
            + " restart ID with --peer-addr HOST:PORT (its data stays).",
        "Exit code 1 with 'etcdserver: member not found' for an unknown id, 'etcdserver: Peer URLs"
            + " already exists' when another member has that address."
      })
  static final class Update implements Callable<Integer> {
    /** host:port: a host name, an IPv4 address or a bracketed IPv6 address, and a port. */
    private static final Pattern PEER_ADDR =
        Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*|\\[[0-9A-Fa-f:.]+]):[0-9]{1,5}");

    @ParentCommand MemberCommand parent;
    @Spec CommandSpec spec;

    @Mixin MemberIdParameter member;

    @Option(
        names = "--peer-addr",
        required = true,
        paramLabel = "HOST:PORT",
        description = "The member's new peer address.")
    String peerAddr;

    @Override
    public Integer call() {
      if (!PEER_ADDR.matcher(peerAddr).matches()) {
        throw new ParameterException(
            spec.commandLine(), "--peer-addr must be HOST:PORT, got '" + peerAddr + "'");
      }
      return change(
          parent.kvctl,
          spec,
          member.id,
          (client, id) -> client.updateMember(id, peerAddr),
          "updated");
    }
  }

  /** Runs one membership change and prints its outcome; JSON adds the members after it. */
  private static int change(
      Kvctl kvctl,
      CommandSpec spec,
      long id,
      BiFunction<BallotClient, Long, CompletableFuture<List<MemberInfo>>> request,
      String done) {
    List<MemberInfo> members;
    try (BallotClient client = kvctl.openClient()) {
      members = request.apply(client, id).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Json.object()
              .put("member_id", Json.unsigned(id))
              .put("members", members.stream().map(Formats::json).toList()));
    } else {
      out.println("Member " + Formats.memberId(id) + " " + done);
    }
    return ExitCodes.OK;
  }
}
