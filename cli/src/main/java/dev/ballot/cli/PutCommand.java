package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.PutOptions;
import dev.ballot.client.PutResult;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl put KEY [VALUE] [--prev-kv] [--lease ID] */
@Command(
    name = "put",
    description = {
      "Writes VALUE under KEY; without VALUE, writes the bytes of standard input as they are"
          + " (binary values: kvctl put KEY < FILE).",
      "Prints OK; with --prev-kv also the previous key and value, one per line."
    })
final class PutCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
  String key;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "VALUE",
      description =
          "The value (use -- before a value that starts with -); omitted: standard input.")
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
    byte[] bytes;
    if (value != null) {
      bytes = value.getBytes(StandardCharsets.UTF_8);
    } else if (kvctl.terminal().inputIsInteractive()) {
      throw new ParameterException(
          spec.commandLine(), "VALUE is missing (or pipe the value into standard input)");
    } else {
      bytes = kvctl.terminal().readInput();
    }
    try (BallotClient client = kvctl.openClient()) {
      result = client.put(key.getBytes(StandardCharsets.UTF_8), bytes, options).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Formats.response(result.revision())
              .putNonEmpty("prev_kv", result.prevKv().map(Formats::json).orElse(null)));
    } else {
      out.println("OK");
      result.prevKv().ifPresent(kv -> Formats.printSimple(kvctl.terminal(), kv));
    }
    return ExitCodes.OK;
  }
}
