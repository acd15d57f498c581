package dev.ballot.bench;

import java.util.List;
import java.util.Map;

/** The table of a bench run, in Markdown: machine and date, one line per row and system. */
public final class ResultTable {
  private static final String DASH = "-";

  private ResultTable() {}

  /**
   * @param machine lines describing the machine and date, printed first
   * @param checkPerf per system, per load (m, l): what etcdctl check perf said
   */
  public static String render(
      Matrix matrix, List<String> machine, Map<String, Map<String, CheckPerfResult>> checkPerf) {
    StringBuilder out = new StringBuilder();
    List<String> systems = matrix.systems();
    out.append("# Benchmark: ").append(String.join(" vs ", systems)).append("\n\n");
    machine.forEach(line -> out.append("    ").append(line).append('\n'));
    out.append('\n');

    String base = systems.isEmpty() ? "" : systems.get(0);
    List<String> others = systems.size() > 1 ? systems.subList(1, systems.size()) : List.of();
    StringBuilder header =
        new StringBuilder(
            "| # | row | system | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |"
                + " server CPU cores | CPU µs/op | peak RSS MiB |");
    StringBuilder rule = new StringBuilder("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (String other : others) {
      header.append(' ').append(other).append('/').append(base).append(" ops/s | ");
      header.append(other).append('/').append(base).append(" p50 |");
      rule.append("--:|--:|");
    }
    out.append(header).append('\n').append(rule).append('\n');

    int number = 0;
    for (String row : matrix.rows()) {
      number++;
      boolean first = true;
      RunResult baseline = matrix.get(row, base);
      for (String system : systems) {
        RunResult result = matrix.get(row, system);
        if (result == null) {
          continue;
        }
        out.append("| ").append(first ? Integer.toString(number) : "").append(" | ");
        out.append(first ? row : "").append(" | ").append(system).append(" | ");
        out.append(String.join(" | ", cells(result)));
        for (String other : others) {
          out.append(" | ")
              .append(system.equals(other) ? ratios(baseline, result) : DASH + " | " + DASH);
        }
        out.append(" |\n");
        first = false;
      }
    }
    out.append('\n')
        .append(
            "ops/s: operations completed per second in the measured window; p50..max: latency of")
        .append(
            " one request;\nserver CPU cores: CPU time of the three servers together per second;")
        .append(
            " CPU µs/op: their CPU time per operation;\npeak RSS MiB: the largest peak resident")
        .append(" memory (VmHWM) of the three servers.\n");
    if (!checkPerf.isEmpty()) {
      out.append("\n## etcdctl check perf\n\n");
      out.append("| system | load | result | writes/s | slowest s | stddev s |\n");
      out.append("|---|---|---|--:|--:|--:|\n");
      checkPerf.forEach(
          (system, byLoad) ->
              byLoad.forEach(
                  (load, check) ->
                      out.append("| ")
                          .append(system)
                          .append(" | ")
                          .append(load)
                          .append(" | ")
                          .append(check.verdict())
                          .append(check.detail().isEmpty() ? "" : ": " + check.detail())
                          .append(" | ")
                          .append(orDash(check.writesPerS(), 0))
                          .append(" | ")
                          .append(orDash(check.slowestS(), 3))
                          .append(" | ")
                          .append(orDash(check.stddevS(), 3))
                          .append(" |\n")));
    }
    return out.toString();
  }

  private static List<String> cells(RunResult result) {
    String status =
        result.failed() ? "FAILED: " + result.reason().replace('|', '/').replace('\n', ' ') : "";
    if (!Matrix.measured(result)) {
      return List.of(status, DASH, DASH, DASH, DASH, DASH, DASH, DASH, DASH);
    }
    LatencyMs latency = result.latency();
    ServerUsage server = result.server();
    String ops = Formats.opsPerS(result.opsPerS());
    return List.of(
        status.isEmpty() ? ops : ops + " (" + status + ")",
        Formats.ms(latency.p50()),
        Formats.ms(latency.p99()),
        Formats.ms(latency.p999()),
        Formats.ms(latency.max()),
        Long.toString(result.errors()),
        server == null ? DASH : Formats.fixed(server.cpuCores(), 2),
        server == null ? DASH : Formats.fixed(server.cpuUsPerOp(), 0),
        server == null ? DASH : Formats.fixed(server.maxPeakRssMib(), 0));
  }

  /** ops/s ratio, and the p50 ratio for single-client rows. */
  private static String ratios(RunResult baseline, RunResult result) {
    if (!usable(baseline) || !usable(result)) {
      return DASH + " | " + DASH;
    }
    String ops = Formats.ratio(result.opsPerS() / baseline.opsPerS());
    String p50 =
        result.clients() == 1 && baseline.latency().p50() > 0
            ? Formats.ratio(result.latency().p50() / baseline.latency().p50())
            : DASH;
    return ops + " | " + p50;
  }

  private static boolean usable(RunResult result) {
    return Matrix.measured(result) && !result.failed() && result.opsPerS() > 0;
  }

  private static String orDash(double value, int decimals) {
    return Double.isNaN(value) ? DASH : Formats.fixed(value, decimals);
  }
}
