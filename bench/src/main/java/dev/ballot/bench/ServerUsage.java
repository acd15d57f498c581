package dev.ballot.bench;

import java.util.List;

/**
 * What the servers used during the measured window.
 *
 * @param cpuCores CPU time of all servers together divided by the window's length
 * @param cpuUsPerOp CPU time of all servers together per completed operation, in microseconds
 * @param peakRssMib each server's peak resident set size (VmHWM) at the end of the run
 */
public record ServerUsage(double cpuCores, double cpuUsPerOp, List<Double> peakRssMib) {
  public ServerUsage {
    peakRssMib = List.copyOf(peakRssMib);
  }

  /** The largest peak RSS of the servers, in MiB (0 when none was measured). */
  public double maxPeakRssMib() {
    return peakRssMib.stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }
}
