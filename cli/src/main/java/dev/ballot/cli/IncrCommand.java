package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.IncrementResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl incr KEY [DELTA] */
@Command(
    name = "incr",
    description = {
      "Adds DELTA (default 1, may be negative) to the decimal integer under KEY, atomically, and"
          + " prints the new value. A missing key counts as 0.",
      "Concurrent increments are never lost: the new value is written by a compare-and-swap on"
          + " KEY's mod revision, tried again while other writers get in between.",
      "A value that is not a decimal integer, or a sum that overflows 64 bits, is an error (exit"
          + " code 1) and nothing is written; exit code 4 when the answer did not come in time"
          + " (the increment may or may not have happened)."
    })
final class IncrCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The counter's key.")
  String key;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "DELTA",
      description = "What to add (use -- before a negative DELTA).")
  long delta = 1;

  @Override
  public Integer call() {
    IncrementResult result;
    try (BallotClient client = kvctl.openClient()) {
      result = client.increment(key, delta).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(Formats.response(result.revision()).put("value", result.value()));
    } else {
      out.println(result.value());
    }
    return ExitCodes.OK;
  }
}
