package dev.ballot.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the report is written. */
@Command(name = "report", description = "Writes the table and chart of a bench run.")
final class ReportCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    return 0;
  }
}
