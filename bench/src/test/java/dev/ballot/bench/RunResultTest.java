package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class RunResultTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void percentilesComeFromTheHistogramInMilliseconds() {
    Histogram micros = new Histogram(60_000_000L, 3);
    for (int i = 1; i <= 1000; i++) {
      micros.recordValue(i * 100L); // 0.1 ms ... 100 ms, evenly
    }

    LatencyMs latency = LatencyMs.fromMicros(micros);

    assertThat(latency.p50()).isCloseTo(50.0, org.assertj.core.data.Offset.offset(0.1));
    assertThat(latency.p99()).isCloseTo(99.0, org.assertj.core.data.Offset.offset(0.1));
    assertThat(latency.p999()).isCloseTo(99.9, org.assertj.core.data.Offset.offset(0.1));
    assertThat(latency.max()).isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.1));
  }

  @Test
  void jsonLineHasEveryFieldOfTheResult() throws Exception {
    RunResult result = sample(4000, 3);

    JsonNode json = JSON.readTree(result.toJsonLine());

    assertThat(result.toJsonLine()).doesNotContain("\n");
    assertThat(json.path("system").asText()).isEqualTo("ballot");
    assertThat(json.path("workload").asText()).isEqualTo("put");
    assertThat(json.path("clients").asInt()).isEqualTo(64);
    assertThat(json.path("target").asText()).isEqualTo("all");
    assertThat(json.path("ops").asLong()).isEqualTo(4000);
    assertThat(json.path("ops_per_s").asDouble()).isEqualTo(200.0);
    assertThat(json.path("errors").asLong()).isEqualTo(3);
    assertThat(json.path("error_codes").path("UNAVAILABLE").asLong()).isEqualTo(3);
    assertThat(json.path("failed").asBoolean()).isFalse();
    assertThat(json.path("p50_ms").asDouble()).isEqualTo(1.235);
    assertThat(json.path("p99_ms").asDouble()).isEqualTo(9.5);
    assertThat(json.path("p999_ms").asDouble()).isEqualTo(20.25);
    assertThat(json.path("max_ms").asDouble()).isEqualTo(31.0);
    assertThat(json.path("server_cpu_cores").asDouble()).isEqualTo(1.5);
    assertThat(json.path("cpu_us_per_op").asDouble()).isEqualTo(750.0);
    assertThat(json.path("peak_rss_mib").toString()).isEqualTo("[120.5,130.0,140.2]");
  }

  @Test
  void jsonLineReadsBackToTheSameResult() {
    RunResult result = sample(4000, 3);

    assertThat(RunResult.fromJsonLine(result.toJsonLine())).isEqualTo(result);
  }

  @Test
  void aRunWithMoreThanOnePercentErrorsFails() {
    assertThat(RunResult.failedRun(990, 10)).isFalse();
    assertThat(RunResult.failedRun(989, 11)).isTrue();
    assertThat(RunResult.failureReason(989, 11)).isEqualTo("1.1% of requests failed");
    assertThat(RunResult.failedRun(0, 0)).isTrue();
    assertThat(RunResult.failureReason(0, 0)).isEqualTo("no operation completed");
  }

  @Test
  void aRowThatDidNotRunReadsAsFailedWithoutMeasurements() {
    RunResult result =
        RunResult.fromJsonLine(
            "{\"system\":\"etcd\",\"row\":\"put 16\",\"workload\":\"put\",\"clients\":16,"
                + "\"target\":\"all\",\"failed\":true,\"reason\":\"cluster did not start\"}");

    assertThat(result.failed()).isTrue();
    assertThat(result.reason()).isEqualTo("cluster did not start");
    assertThat(result.latency()).isNull();
    assertThat(result.server()).isNull();
  }

  @Test
  void aLineWithoutSystemIsRejected() {
    assertThatThrownBy(() -> RunResult.fromJsonLine("{\"row\":\"put 16\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("system and row");
  }

  static RunResult sample(long ops, long errors) {
    return new RunResult(
        "ballot",
        "put 64",
        "put",
        64,
        "all",
        ops,
        ops / 20.0,
        errors,
        errors == 0 ? Map.of() : Map.of("UNAVAILABLE", errors),
        RunResult.failedRun(ops, errors),
        RunResult.failureReason(ops, errors),
        new LatencyMs(1.235, 9.5, 20.25, 31.0, 2.5),
        new ServerUsage(1.5, 750.0, List.of(120.5, 130.0, 140.2)),
        0.25);
  }
}
