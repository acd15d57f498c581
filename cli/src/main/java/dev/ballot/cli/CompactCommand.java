package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl compact REVISION */
@Command(
    name = "compact",
    description = {
      "Drops the history before REVISION on every member (etcdctl compaction).",
      "Reads and watches at older revisions are refused afterwards; the current keys stay."
    })
final class CompactCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REVISION", description = "The oldest revision to keep.")
  long revision;

  @Override
  public Integer call() {
    if (revision <= 0) {
      throw new ParameterException(spec.commandLine(), "REVISION must be > 0, got " + revision);
    }
    long at;
    try (BallotClient client = kvctl.openClient()) {
      at = client.compact(revision).join();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(Formats.response(at).putNonZero("compact_revision", revision));
    } else {
      out.println("compacted revision " + revision);
    }
    return ExitCodes.OK;
  }
}
