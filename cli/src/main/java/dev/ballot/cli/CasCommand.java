package dev.ballot.cli;

import dev.ballot.client.BallotClient;
import dev.ballot.client.CasResult;
import dev.ballot.client.KeyValue;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** kvctl cas KEY EXPECTED NEW | kvctl cas KEY --mod-revision REV NEW */
@Command(
    name = "cas",
    customSynopsis = {
      "kvctl cas [OPTIONS] KEY EXPECTED NEW",
      "   or: kvctl cas [OPTIONS] KEY --mod-revision REV NEW",
    },
    description = {
      "Compare-and-swap: writes NEW under KEY only if KEY's value is EXPECTED"
          + " (or its last write was at revision REV; 0 means: only if KEY does not exist).",
      "Prints 'OK mod_revision=R' on success. When the compare fails, nothing is written,"
          + " the exit code is 3 and kvctl prints 'FAILED mod_revision=R version=V' and the"
          + " current value on the next line, or 'FAILED key not found'."
    })
final class CasCommand implements Callable<Integer> {
  @ParentCommand Kvctl kvctl;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
  String key;

  @Parameters(
      index = "1",
      paramLabel = "EXPECTED",
      description = "The value KEY must hold (with --mod-revision: the new value).")
  String second;

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "NEW",
      description = "The value to write (omitted with --mod-revision).")
  String third;

  @Option(
      names = "--mod-revision",
      paramLabel = "REV",
      description = "Compare KEY's mod revision with REV instead of its value.")
  Long modRevision;

  @Override
  public Integer call() {
    CasResult result;
    if (modRevision != null) {
      if (third != null) {
        throw usage("expected KEY --mod-revision REV NEW, got an extra argument '" + third + "'");
      }
      if (modRevision < 0) {
        throw usage("--mod-revision must be >= 0, got " + modRevision);
      }
      try (BallotClient client = kvctl.openClient()) {
        result = client.compareAndSwapByRevision(key, modRevision, second).join();
      }
    } else {
      if (third == null) {
        throw usage("expected KEY EXPECTED NEW (or KEY --mod-revision REV NEW), NEW is missing");
      }
      try (BallotClient client = kvctl.openClient()) {
        result = client.compareAndSwap(key, second, third).join();
      }
    }
    print(result);
    return result.succeeded() ? ExitCodes.OK : ExitCodes.COMPARE_FAILED;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private void print(CasResult result) {
    PrintWriter out = spec.commandLine().getOut();
    if (kvctl.format() == Kvctl.Format.JSON) {
      out.println(
          Formats.response(result.revision())
              .put("succeeded", result.succeeded())
              .putNonEmpty("current", result.current().map(Formats::json).orElse(null)));
    } else if (result.succeeded()) {
      out.println("OK mod_revision=" + result.revision());
    } else if (result.current().isEmpty()) {
      out.println("FAILED key not found");
    } else {
      KeyValue current = result.current().get();
      out.println("FAILED mod_revision=" + current.modRevision() + " version=" + current.version());
      kvctl.terminal().bytesLine(current.value());
    }
  }
}
