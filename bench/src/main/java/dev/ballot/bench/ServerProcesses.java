package dev.ballot.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The servers' processes, read from /proc: CPU time used so far and peak resident memory. */
public final class ServerProcesses {
  private static final Path PROC = Path.of("/proc");

  private final List<Long> pids;
  private final long clockTicksPerS;

  public ServerProcesses(List<Long> pids, long clockTicksPerS) {
    if (clockTicksPerS <= 0) {
      throw new IllegalArgumentException(
          "clock ticks per second must be positive: " + clockTicksPerS);
    }
    this.pids = List.copyOf(pids);
    this.clockTicksPerS = clockTicksPerS;
  }

  public boolean isEmpty() {
    return pids.isEmpty();
  }

  /** User plus system CPU time of all the processes so far, in seconds. */
  public double cpuSeconds() {
    long ticks = 0;
    for (long pid : pids) {
      ticks += ProcFiles.cpuTicks(read(pid, "stat"));
    }
    return (double) ticks / clockTicksPerS;
  }

  /** Each process's peak resident set size (VmHWM), in MiB, in the order of the pids. */
  public List<Double> peakRssMib() {
    List<Double> mib = new ArrayList<>();
    for (long pid : pids) {
      mib.add(ProcFiles.peakRssKib(read(pid, "status")) / 1024.0);
    }
    return mib;
  }

  private static String read(long pid, String file) {
    Path path = PROC.resolve(Long.toString(pid)).resolve(file);
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + " (server process gone?)", e);
    }
  }
}
