package dev.ballot.bench;

/** Parses the lines of /proc/PID/stat and /proc/PID/status that the benchmark needs. */
public final class ProcFiles {
  /** utime is field 14 of /proc/PID/stat; counted from field 3 (state), after the ")" of comm. */
  private static final int UTIME_AFTER_COMM = 14 - 3;

  private ProcFiles() {}

  /**
   * User plus system CPU time of the process, in clock ticks, from the one line of /proc/PID/stat.
   * The command name (field 2) may hold spaces and parentheses, so the fields are counted from its
   * last ")".
   */
  public static long cpuTicks(String statLine) {
    int commEnd = statLine.lastIndexOf(')');
    if (commEnd < 0) {
      throw new IllegalArgumentException("not a /proc/PID/stat line: " + statLine);
    }
    String[] fields = statLine.substring(commEnd + 1).trim().split("\\s+");
    if (fields.length <= UTIME_AFTER_COMM + 1) {
      throw new IllegalArgumentException("too few fields in /proc/PID/stat line: " + statLine);
    }
    return Long.parseLong(fields[UTIME_AFTER_COMM]) + Long.parseLong(fields[UTIME_AFTER_COMM + 1]);
  }

  /**
   * The peak resident set size (VmHWM) in KiB, from the text of /proc/PID/status.
   *
   * @throws IllegalArgumentException if the text has no VmHWM line
   */
  public static long peakRssKib(String statusText) {
    for (String line : statusText.split("\n")) {
      if (line.startsWith("VmHWM:")) {
        String[] parts = line.substring("VmHWM:".length()).trim().split("\\s+");
        if (parts.length != 2 || !parts[1].equals("kB")) {
          throw new IllegalArgumentException("unexpected VmHWM line: " + line);
        }
        return Long.parseLong(parts[0]);
      }
    }
    throw new IllegalArgumentException("no VmHWM line in /proc/PID/status");
  }
}
