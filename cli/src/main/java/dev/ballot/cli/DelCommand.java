package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.DeleteOptions;
import dev.ballot.client.DeleteResult;
import dev.ballot.client.KeyValue;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl del KEY [--prefix] [--prev-kv] */
@Command(
    name = "del",
    description = {
      "Deletes KEY, or every key with prefix KEY.",
      "Prints how many keys were deleted; with --prev-kv also each deleted key and value."
    })
final class DelCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key or prefix.")
  String key;

  @Option(names = "--prefix", description = "Delete every key that starts with KEY.")
  boolean prefix;

  @Option(names = "--prev-kv", description = "Print the deleted key-values.")
  boolean prevKv;

  @Override
  public Integer call() {
    DeleteOptions options = DeleteOptions.DEFAULT;
    if (prefix) {
      options = options.withPrefix();
    }
    if (prevKv) {
      options = options.withPrevKv();
    }
    DeleteResult result;
    try (BallotClient client = kvctl.openClient()) {
      result = client.delete(key, options).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Formats.response(result.revision())
              .putNonZero("deleted", result.deleted())
              .putNonEmpty("prev_kvs", Formats.json(result.prevKvs())));
    } else {
      out.println(result.deleted());
      for (KeyValue kv : result.prevKvs()) {
        Formats.printSimple(kvctl.terminal(), kv);
      }
    }
    return ExitCodes.OK;
  }
}
