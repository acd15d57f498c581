package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.LeaseGrant;
import dev.ballot.client.LeaseInfo;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl lease grant TTL | revoke ID | keep-alive ID [--once] | ttl ID [--keys] | list */
@Command(
    name = "lease",
    description = {
      "Grants, renews, inspects and revokes leases. Keys put with --lease ID are deleted when"
          + " the lease is revoked, or when it expires: no keep-alive within its TTL. Ids are hex,"
          + " as etcdctl prints them."
    },
    subcommands = {
      LeaseCommand.Grant.class,
      LeaseCommand.Revoke.class,
      LeaseCommand.KeepAlive.class,
      LeaseCommand.TimeToLive.class,
      LeaseCommand.ListLeases.class
    })
final class LeaseCommand implements Runnable {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing subcommand: grant, revoke, keep-alive, ttl or list");
  }

  /** kvctl lease grant TTL */
  @Command(
      name = "grant",
      description = {
        "Grants a lease of TTL seconds and prints 'lease ID granted with TTL(Ns)'. The server"
            + " raises a TTL below its minimum (1.5 election timeouts, at least 1 s) to it."
      })
  static final class Grant implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TTL", description = "Time to live, in seconds.")
    long ttlSeconds;

    @Override
    public Integer call() {
      LeaseGrant grant;
      try (BallotClient client = parent.kvctl.openClient()) {
        grant = client.leases().grant(ttlSeconds).join();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (parent.kvctl.format() == Kvctl.Format.JSON) {
        out.println(
            Json.object()
                .put("id", LeaseIdParameter.hex(grant.id()))
                .put("ttl", grant.ttlSeconds())
                .put("revision", grant.revision()));
      } else {
        out.printf(
            "lease %s granted with TTL(%ds)%n",
            LeaseIdParameter.hex(grant.id()), grant.ttlSeconds());
      }
      return ExitCodes.OK;
    }
  }

  /** kvctl lease revoke ID */
  @Command(
      name = "revoke",
      description = {
        "Revokes lease ID and deletes its keys (in one revision); prints 'lease ID revoked'.",
        "Exit code 1 with 'etcdserver: requested lease not found' if it does not exist."
      })
  static final class Revoke implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;
    @Mixin LeaseIdParameter lease;

    @Override
    public Integer call() {
      long revision;
      try (BallotClient client = parent.kvctl.openClient()) {
        revision = client.leases().revoke(lease.id).join();
      }
      PrintWriter out = spec.commandLine().getOut();
      if (parent.kvctl.format() == Kvctl.Format.JSON) {
        out.println(
            Json.object().put("id", LeaseIdParameter.hex(lease.id)).put("revision", revision));
      } else {
        out.printf("lease %s revoked%n", LeaseIdParameter.hex(lease.id));
      }
      return ExitCodes.OK;
    }
  }

  /** kvctl lease keep-alive ID [--once] */
  @Command(
      name = "keep-alive",
      description = {
        "Renews lease ID every third of its TTL until interrupted (Ctrl-C), printing 'lease ID"
            + " keepalived with TTL(N)' each time; with --once, renews it once.",
        "Ends with exit code 1 when the lease no longer exists (expired or revoked)."
      })
  static final class KeepAlive implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;
    @Mixin LeaseIdParameter lease;

    @Option(names = "--once", description = "Renew once and exit.")
    boolean once;

    @Override
    public Integer call() throws InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String id = LeaseIdParameter.hex(lease.id);
      try (BallotClient client = parent.kvctl.openClient()) {
        while (true) {
          long ttlSeconds = client.leases().keepAliveOnce(lease.id).join();
          if (ttlSeconds <= 0) {
            err.printf("kvctl: lease %s expired or revoked%n", id);
            return ExitCodes.ERROR;
          }
          if (parent.kvctl.format() == Kvctl.Format.JSON) {
            out.println(Json.object().put("id", id).put("ttl", ttlSeconds));
          } else {
            out.printf("lease %s keepalived with TTL(%d)%n", id, ttlSeconds);
          }
          out.flush();
          if (once) {
            return ExitCodes.OK;
          }
          // etcd's clients renew every third of the TTL.
          TimeUnit.MILLISECONDS.sleep(Math.max(1, TimeUnit.SECONDS.toMillis(ttlSeconds) / 3));
        }
      }
    }
  }

  /** kvctl lease ttl ID [--keys] */
  @Command(
      name = "ttl",
      description = {
        "Prints lease ID's granted and remaining TTL by the leader's clock ('lease ID granted with"
            + " TTL(Ns), remaining(Ms)'), or 'lease ID already expired' if it does not exist."
      })
  static final class TimeToLive implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;
    @Mixin LeaseIdParameter lease;

    @Option(names = "--keys", description = "Also list the keys attached to the lease.")
    boolean keys;

    @Override
    public Integer call() {
      LeaseInfo info;
      try (BallotClient client = parent.kvctl.openClient()) {
        info = client.leases().timeToLive(lease.id, keys).join();
      }
      String id = LeaseIdParameter.hex(lease.id);
      List<String> keyNames =
          info.keys().stream().map(k -> new String(k, StandardCharsets.UTF_8)).toList();
      PrintWriter out = spec.commandLine().getOut();
      if (parent.kvctl.format() == Kvctl.Format.JSON) {
        out.println(
            Json.object()
                .put("id", id)
                .put("ttl", info.remainingSeconds())
                .put("granted_ttl", info.grantedTtlSeconds())
                .put("keys", keys ? keyNames : null));
      } else if (!info.exists()) {
        out.printf("lease %s already expired%n", id);
      } else {
        out.printf(
            "lease %s granted with TTL(%ds), remaining(%ds)%s%n",
            id,
            info.grantedTtlSeconds(),
            info.remainingSeconds(),
            keys ? ", attached keys(" + keyNames + ")" : "");
      }
      return ExitCodes.OK;
    }
  }

  /** kvctl lease list */
  @Command(name = "list", description = "Prints 'found N leases', then each lease's id.")
  static final class ListLeases implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      List<Long> ids;
      try (BallotClient client = parent.kvctl.openClient()) {
        ids = client.leases().list().join();
      }
      PrintWriter out = spec.commandLine().getOut();
      List<String> hex = ids.stream().map(LeaseIdParameter::hex).toList();
      if (parent.kvctl.format() == Kvctl.Format.JSON) {
        out.println(Json.object().put("leases", hex));
      } else {
        out.printf("found %d leases%n", ids.size());
        hex.forEach(out::println);
      }
      return ExitCodes.OK;
    }
  }
}
