package dev.ballot.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The results of a bench run arranged by row and system, both in the order they first appear (a
 * later result for the same row and system replaces an earlier one). The first system is the
 * baseline of the ratios.
 */
public final class Matrix {
  private final List<String> systems = new ArrayList<>();
  private final Map<String, Map<String, RunResult>> rows = new LinkedHashMap<>();

  public Matrix(List<RunResult> results) {
    for (RunResult result : results) {
      if (!systems.contains(result.system())) {
        systems.add(result.system());
      }
      rows.computeIfAbsent(result.row(), row -> new LinkedHashMap<>()).put(result.system(), result);
    }
  }

  public List<String> systems() {
    return List.copyOf(systems);
  }

  public List<String> rows() {
    return List.copyOf(rows.keySet());
  }

  /** The result of {@code system} in {@code row}, or null if it has none. */
  public RunResult get(String row, String system) {
    return rows.getOrDefault(row, Map.of()).get(system);
  }

  /** Whether the result exists and has measurements (it ran, even if it failed on errors). */
  public static boolean measured(RunResult result) {
    return result != null && result.latency() != null;
  }
}
