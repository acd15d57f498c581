package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.PutOptions;
import dev.ballot.client.PutResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl put KEY VALUE [--prev-kv] [--lease ID] */
@Command(
    name = "put",
    description = {
      "Writes VALUE under KEY.",
      "Prints OK; with --prev-kv also the previous key and value, one per line."
    })
final class PutCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
  String key;

  @Parameters(
      index = "1",
      paramLabel = "VALUE",
      description = "The value (use -- before a value that starts with -).")
  String value;

  @Option(names = "--prev-kv", description = "Print the key-value the write replaced.")
  boolean prevKv;

  @Option(
      names = "--lease",
      paramLabel = "ID",
      converter = LeaseIdParameter.HexLeaseId.class,
      description = "Attach the key to lease ID (hex, as 'kvctl lease grant' prints it).")
  long leaseId;

  @Override
  public Integer call() {
    PutOptions options =
        (prevKv ? PutOptions.DEFAULT.withPrevKv() : PutOptions.DEFAULT).withLease(leaseId);
    PutResult result;
    try (BallotClient client = kvctl.openClient()) {
      result = client.put(key, value, options).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Json.object()
              .put("revision", result.revision())
              .put("prev_kv", result.prevKv().map(Formats::json).orElse(null)));
    } else {
      out.println("OK");
      result.prevKv().ifPresent(kv -> Formats.printSimple(out, kv));
    }
    return ExitCodes.OK;
  }
}
