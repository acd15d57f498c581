package dev.ballot.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one run of the load generator: one JSON line on stdout. A row that could not run at
 * all (scripts/bench.sh writes those) has only its identity, {@code failed} and a reason.
 *
 * @param system the system measured, as labelled on the command line (etcd, ballot)
 * @param row the row of the matrix (free text, e.g. "put 64")
 * @param latency null for a row that did not run
 * @param server null when no server pids were given, or the row did not run
 * @param reason why the row failed; empty when it did not
 */
public record RunResult(
    String system,
    String row,
    String workload,
    int clients,
    String target,
    long ops,
    double opsPerS,
    long errors,
    Map<String, Long> errorCodes,
    boolean failed,
    String reason,
    LatencyMs latency,
    ServerUsage server,
    double clientCpuCores) {

  /** A run with more errors than this share of its requests is failed. */
  public static final double MAX_ERROR_RATE = 0.01;

  private static final ObjectMapper JSON = new ObjectMapper();

  public RunResult {
    errorCodes = Map.copyOf(errorCodes);
  }

  /** Whether a run with these counts is failed: no operation, or errors over 1%. */
  public static boolean failedRun(long ops, long errors) {
    return ops == 0 || errors > MAX_ERROR_RATE * (ops + errors);
  }

  /** Why a run with these counts is failed, or "" if it is not. */
  public static String failureReason(long ops, long errors) {
    if (ops == 0) {
      return "no operation completed";
    }
    if (failedRun(ops, errors)) {
      return String.format(
          java.util.Locale.ROOT, "%.1f%% of requests failed", 100.0 * errors / (ops + errors));
    }
    return "";
  }

  /** The result as one line of JSON. */
  public String toJsonLine() {
    ObjectNode node = JSON.createObjectNode();
    node.put("system", system);
    node.put("row", row);
    node.put("workload", workload);
    node.put("clients", clients);
    node.put("target", target);
    node.put("ops", ops);
    node.put("ops_per_s", round(opsPerS, 1));
    node.put("errors", errors);
    ObjectNode codes = node.putObject("error_codes");
    errorCodes.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> codes.put(e.getKey(), e.getValue()));
    node.put("failed", failed);
    if (!reason.isEmpty()) {
      node.put("reason", reason);
    }
    if (latency != null) {
      node.put("p50_ms", round(latency.p50(), 3));
      node.put("p99_ms", round(latency.p99(), 3));
      node.put("p999_ms", round(latency.p999(), 3));
      node.put("max_ms", round(latency.max(), 3));
      node.put("mean_ms", round(latency.mean(), 3));
    }
    if (server != null) {
      node.put("server_cpu_cores", round(server.cpuCores(), 3));
      node.put("cpu_us_per_op", round(server.cpuUsPerOp(), 1));
      ArrayNode rss = node.putArray("peak_rss_mib");
      server.peakRssMib().forEach(mib -> rss.add(round(mib, 1)));
    }
    node.put("client_cpu_cores", round(clientCpuCores, 3));
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a result as JSON", e);
    }
  }

  /**
   * Reads a line written by {@link #toJsonLine}, or a failed row's line that has only system, row,
   * failed and reason (and maybe workload, clients, target).
   *
   * @throws IllegalArgumentException if the line is not JSON or lacks system or row
   */
  public static RunResult fromJsonLine(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON line: " + line, e);
    }
    if (node == null || !node.hasNonNull("system") || !node.hasNonNull("row")) {
      throw new IllegalArgumentException("a result needs system and row: " + line);
    }
    Map<String, Long> codes = new LinkedHashMap<>();
    node.path("error_codes")
        .fields()
        .forEachRemaining(e -> codes.put(e.getKey(), e.getValue().asLong()));
    LatencyMs latency =
        node.has("p50_ms")
            ? new LatencyMs(
                node.path("p50_ms").asDouble(),
                node.path("p99_ms").asDouble(),
                node.path("p999_ms").asDouble(),
                node.path("max_ms").asDouble(),
                node.path("mean_ms").asDouble())
            : null;
    ServerUsage server = null;
    if (node.has("server_cpu_cores")) {
      List<Double> rss = new ArrayList<>();
      node.path("peak_rss_mib").forEach(v -> rss.add(v.asDouble()));
      server =
          new ServerUsage(
              node.path("server_cpu_cores").asDouble(), node.path("cpu_us_per_op").asDouble(), rss);
    }
    return new RunResult(
        node.path("system").asText(),
        node.path("row").asText(),
        node.path("workload").asText(""),
        node.path("clients").asInt(0),
        node.path("target").asText(""),
        node.path("ops").asLong(0),
        node.path("ops_per_s").asDouble(0),
        node.path("errors").asLong(0),
        codes,
        node.path("failed").asBoolean(true),
        node.path("reason").asText(""),
        latency,
        server,
        node.path("client_cpu_cores").asDouble(0));
  }

  private static double round(double value, int decimals) {
    double scale = Math.pow(10, decimals);
    return Math.round(value * scale) / scale;
  }
}
