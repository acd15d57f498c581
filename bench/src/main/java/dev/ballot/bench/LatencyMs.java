package dev.ballot.bench;

import org.HdrHistogram.Histogram;

/** Latency percentiles of a run, in milliseconds. */
public record LatencyMs(double p50, double p99, double p999, double max, double mean) {
  /** Reads the percentiles of a histogram whose values are microseconds. */
  public static LatencyMs fromMicros(Histogram micros) {
    return new LatencyMs(
        micros.getValueAtPercentile(50) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0,
        micros.getValueAtPercentile(99.9) / 1000.0,
        micros.getMaxValue() / 1000.0,
        micros.getMean() / 1000.0);
  }
}
