package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CheckPerfResultTest {
  @Test
  void readsAPassWithItsNumbers() {
    String output =
        " 60 / 60 Boooooooooooooooooooooo! 100.00%1m0s\r\n"
            + "PASS: Throughput is 974 writes/s\n"
            + "PASS: Slowest request took 0.468174s\n"
            + "PASS: Stddev is 0.028241s\n"
            + "PASS\n";

    assertThat(CheckPerfResult.parse(output))
        .isEqualTo(new CheckPerfResult("PASS", 974, 0.468174, 0.028241, ""));
  }

  @Test
  void readsAFailWithTheNumbersOfItsFailedLines() {
    String output =
        "FAIL: Throughput too low: 8451 writes/s\n"
            + "Slowest request took too long: 0.786915s\n"
            + "Stddev too high: 0.163215s\n"
            + "FAIL\n";

    assertThat(CheckPerfResult.parse(output))
        .isEqualTo(new CheckPerfResult("FAIL", 8451, 0.786915, 0.163215, ""));
  }

  @Test
  void anOutputWithoutVerdictIsAnErrorWithItsMessage() {
    CheckPerfResult result =
        CheckPerfResult.parse(
            "Error: prefix \"/etcdctl-check-perf/\" has keys. Delete with etcdctl del --prefix\n");

    assertThat(result.verdict()).isEqualTo("ERROR");
    assertThat(result.detail()).startsWith("Error: prefix");
    assertThat(result.writesPerS()).isNaN();
  }

  @Test
  void etcdctlsOwnErrorLineWinsOverTheClientLibrarysWarnings() {
    CheckPerfResult result =
        CheckPerfResult.parse(
            " 60 / 60 Boooooooooooooooooooooo! 100.00% 1m0s\n"
                + "{\"level\":\"warn\",\"ts\":\"2026-12-06T05:23:32.332Z\","
                + "\"msg\":\"retrying of unary invoker failed\",\"error\":\"rpc error: code ="
                + " Unavailable desc = etcdserver: request timed out\"}\n"
                + "Error: etcdserver: request timed out\n");

    assertThat(result.verdict()).isEqualTo("ERROR");
    assertThat(result.detail()).isEqualTo("Error: etcdserver: request timed out");
  }
}
