package dev.ballot.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code etcdctl check perf} printed, e.g.
 *
 * <pre>
 * PASS: Throughput is 974 writes/s
 * PASS: Slowest request took 0.468174s
 * PASS: Stddev is 0.028241s
 * PASS
 * </pre>
 *
 * or "FAIL: Throughput too low: 6491 writes/s", "Slowest request took too long: 0.786915s", "Stddev
 * too high: 0.2s" and a last line FAIL.
 *
 * @param verdict PASS, FAIL, or ERROR when the check did not finish (see {@code detail})
 * @param writesPerS NaN when not printed
 * @param slowestS NaN when not printed
 * @param stddevS NaN when not printed
 * @param detail for ERROR, etcdctl's {@code Error:} line, else the first line that mentions an
 *     error
 */
public record CheckPerfResult(
    String verdict, double writesPerS, double slowestS, double stddevS, String detail) {
  private static final Pattern THROUGHPUT =
      Pattern.compile("Throughput.*?(\\d+(?:\\.\\d+)?) writes/s");
  private static final Pattern SLOWEST =
      Pattern.compile("Slowest request.*?(\\d+(?:\\.\\d+)?)s\\s*$");
  private static final Pattern STDDEV = Pattern.compile("Stddev.*?(\\d+(?:\\.\\d+)?)s\\s*$");

  /** Reads the output of one {@code etcdctl check perf} (stdout and stderr together). */
  public static CheckPerfResult parse(String output) {
    double writes = Double.NaN;
    double slowest = Double.NaN;
    double stddev = Double.NaN;
    String verdict = null;
    String error = "";
    boolean etcdctlError = false;
    for (String raw : output.split("[\r\n]+")) {
      String line = raw.strip();
      Matcher m;
      if ((m = THROUGHPUT.matcher(line)).find()) {
        writes = Double.parseDouble(m.group(1));
      } else if ((m = SLOWEST.matcher(line)).find()) {
        slowest = Double.parseDouble(m.group(1));
      } else if ((m = STDDEV.matcher(line)).find()) {
        stddev = Double.parseDouble(m.group(1));
      } else if (line.equals("PASS") || line.equals("FAIL")) {
        verdict = line;
      } else if (line.startsWith("Error:")) {
        error = line; // etcdctl's own last word, after any client library warnings
        etcdctlError = true;
      } else if (!etcdctlError
          && error.isEmpty()
          && line.toLowerCase(java.util.Locale.ROOT).contains("error")) {
        error = line;
      }
    }
    if (verdict == null) {
      return new CheckPerfResult(
          "ERROR", writes, slowest, stddev, error.isEmpty() ? "no verdict printed" : error);
    }
    return new CheckPerfResult(verdict, writes, slowest, stddev, "");
  }
}
