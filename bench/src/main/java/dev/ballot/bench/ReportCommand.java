package dev.ballot.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Turns the files of a bench run into its table and chart: reads DIR/results.jsonl (the JSON
 * lines), DIR/machine.txt and DIR/checkperf-SYSTEM-LOAD.txt; writes DIR/table.md and DIR/chart.svg,
 * and prints the table.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Reads DIR/results.jsonl, DIR/machine.txt and DIR/checkperf-SYSTEM-LOAD.txt of a bench run;"
          + " writes DIR/table.md and DIR/chart.svg and prints the table."
    })
final class ReportCommand implements Callable<Integer> {
  static final String RESULTS = "results.jsonl";
  static final String MACHINE = "machine.txt";
  static final String TABLE = "table.md";
  static final String CHART = "chart.svg";
  private static final Pattern CHECK_PERF_FILE = Pattern.compile("checkperf-(.+)-([a-z]+)\\.txt");

  @ParentCommand BallotBench parent;

  @Parameters(index = "0", paramLabel = "DIR", description = "The output directory of the run.")
  Path dir;

  @Override
  public Integer call() throws IOException {
    Path resultsFile = dir.resolve(RESULTS);
    if (!Files.isRegularFile(resultsFile)) {
      parent.err().println("ballot-bench report: no " + resultsFile);
      return BallotBench.EXIT_NOT_RUN;
    }
    List<RunResult> results = new ArrayList<>();
    List<String> lines = Files.readAllLines(resultsFile, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        results.add(RunResult.fromJsonLine(lines.get(i)));
      } catch (IllegalArgumentException e) {
        parent
            .err()
            .println(
                "ballot-bench report: " + resultsFile + " line " + (i + 1) + ": " + e.getMessage());
        return BallotBench.EXIT_NOT_RUN;
      }
    }
    Path machineFile = dir.resolve(MACHINE);
    List<String> machine =
        Files.isRegularFile(machineFile)
            ? Files.readAllLines(machineFile, StandardCharsets.UTF_8)
            : List.of();
    Matrix matrix = new Matrix(results);
    String table = ResultTable.render(matrix, machine, checkPerf(dir));
    Files.writeString(dir.resolve(TABLE), table, StandardCharsets.UTF_8);
    String title = "Benchmark: " + String.join(" vs ", matrix.systems());
    Files.writeString(dir.resolve(CHART), SvgChart.render(matrix, title), StandardCharsets.UTF_8);
    parent.out().print(table);
    parent.out().flush();
    return 0;
  }

  /** Per system, per load: the parsed checkperf-SYSTEM-LOAD.txt files of the directory. */
  private static Map<String, Map<String, CheckPerfResult>> checkPerf(Path dir) throws IOException {
    Map<String, Map<String, CheckPerfResult>> bySystem = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "checkperf-*.txt")) {
      for (Path file : files) {
        Matcher m = CHECK_PERF_FILE.matcher(file.getFileName().toString());
        if (m.matches()) {
          bySystem
              .computeIfAbsent(m.group(1), s -> new TreeMap<>(ReportCommand::byLoadSize))
              .put(
                  m.group(2),
                  CheckPerfResult.parse(Files.readString(file, StandardCharsets.UTF_8)));
        }
      }
    }
    return bySystem;
  }

  /** etcdctl's loads s, m, l, xl in size order. */
  private static int byLoadSize(String a, String b) {
    List<String> order = List.of("s", "m", "l", "xl");
    int ia = order.indexOf(a);
    int ib = order.indexOf(b);
    return ia >= 0 && ib >= 0 ? Integer.compare(ia, ib) : a.compareTo(b);
  }
}
