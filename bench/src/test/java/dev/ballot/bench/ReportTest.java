package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ReportTest {
  private static final RunResult ETCD_PUT_1 =
      result("etcd", "put 1 leader", 1, 800, new LatencyMs(1.2, 3.2, 5.0, 9.0, 1.3));
  private static final RunResult BALLOT_PUT_1 =
      result("ballot", "put 1 leader", 1, 400, new LatencyMs(2.4, 14.0, 20.0, 30.0, 2.6));
  private static final RunResult ETCD_PUT_64 =
      result("etcd", "put 64", 64, 6000, new LatencyMs(10.1, 32.1, 50.0, 60.0, 11.0));
  private static final RunResult BALLOT_PUT_64_FAILED =
      RunResult.fromJsonLine(
          "{\"system\":\"ballot\",\"row\":\"put 64\",\"workload\":\"put\",\"clients\":64,"
              + "\"target\":\"all\",\"failed\":true,\"reason\":\"timed out\"}");

  private final Matrix matrix =
      new Matrix(List.of(ETCD_PUT_1, ETCD_PUT_64, BALLOT_PUT_1, BALLOT_PUT_64_FAILED));

  @Test
  void matrixKeepsRowsAndSystemsInTheOrderTheyFirstAppear() {
    assertThat(matrix.rows()).containsExactly("put 1 leader", "put 64");
    assertThat(matrix.systems()).containsExactly("etcd", "ballot");
  }

  @Test
  void tableShowsBothSystemsAndTheRatioOfOpsAndOfP50ForOneClient() {
    String table = ResultTable.render(matrix, List.of("machine: test"), Map.of());

    assertThat(table).contains("    machine: test");
    assertThat(table).contains("| 1 | put 1 leader | etcd | 800 | 1.20 | 3.20 | 5.00 | 9.00 | 0 |");
    // ops 400/800 = 0.50x; p50 2.4/1.2 = 2.00x
    assertThat(table).contains("|  |  | ballot | 400 | 2.40 | 14.0 | 20.0 | 30.0 | 0 |");
    assertThat(table).contains("| 0.50x | 2.00x |");
  }

  @Test
  void aFailedRowIsReportedWithItsReasonAndNoRatio() {
    String table = ResultTable.render(matrix, List.of(), Map.of());

    String ballotLine =
        table.lines().filter(l -> l.contains("ballot | FAILED")).findFirst().orElseThrow();
    assertThat(ballotLine).contains("FAILED: timed out").endsWith("| - | - |");
  }

  @Test
  void tableListsCheckPerfResults() {
    CheckPerfResult check = CheckPerfResult.parse("PASS: Throughput is 988 writes/s\nPASS\n");

    String table = ResultTable.render(matrix, List.of(), Map.of("etcd", Map.of("m", check)));

    assertThat(table).contains("| etcd | m | PASS | 988 | - | - |");
  }

  @Test
  void chartHasABarPerSystemAndRowInBothPanels() {
    String svg = SvgChart.render(matrix, "etcd vs ballot");

    assertThat(svg).startsWith("<svg ").endsWith("</svg>\n");
    assertThat(count(svg, "class=\"bar ops system-etcd\"")).isEqualTo(2);
    assertThat(count(svg, "class=\"bar p99 system-etcd\"")).isEqualTo(2);
    assertThat(count(svg, "class=\"bar ops system-ballot\"")).isEqualTo(1);
    assertThat(count(svg, "class=\"bar p99 system-ballot\"")).isEqualTo(1);
    assertThat(count(svg, "class=\"failed system-ballot\"")).isEqualTo(2);
    assertThat(svg).contains(">etcd</text>", ">ballot</text>");
  }

  @Test
  void chartBarsAreAsHighAsTheirValueOnTheAxis() {
    String svg = SvgChart.render(matrix, "t");

    // ops axis runs to 10,000 over 260 px: 6,000 ops/s is 156 px, 400 ops/s 10.4 px.
    assertThat(heightOf(svg, "ops system-etcd", "put 64")).isEqualTo(156.0);
    assertThat(heightOf(svg, "ops system-ballot", "put 1 leader")).isEqualTo(10.4);
  }

  @Test
  void niceCeilingRoundsUpToOneTwoOrFiveTimesAPowerOfTen() {
    assertThat(SvgChart.niceCeiling(6000)).isEqualTo(10000);
    assertThat(SvgChart.niceCeiling(1500)).isEqualTo(2000);
    assertThat(SvgChart.niceCeiling(32.1)).isEqualTo(50);
    assertThat(SvgChart.niceCeiling(0)).isEqualTo(1);
  }

  @Test
  void chartEscapesLabels() {
    assertThat(SvgChart.escape("a<b & \"c\"")).isEqualTo("a&lt;b &amp; &quot;c&quot;");
  }

  private static double heightOf(String svg, String barClass, String row) {
    Matcher m =
        Pattern.compile(
                "class=\"bar "
                    + barClass
                    + "\"[^>]*height=\"([0-9.]+)\"[^>]*><title>[^<]*, "
                    + Pattern.quote(row)
                    + ":")
            .matcher(svg);
    assertThat(m.find()).as("bar %s of row %s", barClass, row).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      count++;
    }
    return count;
  }

  private static RunResult result(
      String system, String row, int clients, double opsPerS, LatencyMs latency) {
    return new RunResult(
        system,
        row,
        "put",
        clients,
        "all",
        (long) (opsPerS * 20),
        opsPerS,
        0,
        Map.of(),
        false,
        "",
        latency,
        new ServerUsage(1.0, 500, List.of(100.0, 110.0, 120.0)),
        0.2);
  }
}
