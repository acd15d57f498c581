package dev.ballot.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcFilesTest {
  /** A real line of /proc/PID/stat (fields 14 and 15: utime 4512, stime 1033). */
  private static final String STAT =
      "21455 (etcd) S 1 21455 21455 0 -1 4194560 26437 0 0 0 4512 1033 0 0 20 0 12 0 1954123"
          + " 12217749504 21880 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0";

  @Test
  void cpuTicksAddsUserAndSystemTime() {
    assertThat(ProcFiles.cpuTicks(STAT)).isEqualTo(4512 + 1033);
  }

  @Test
  void cpuTicksCountsFieldsAfterACommandNameWithSpacesAndParentheses() {
    String withOddName = STAT.replace("(etcd)", "(my (odd) name)");

    assertThat(ProcFiles.cpuTicks(withOddName)).isEqualTo(4512 + 1033);
  }

  @Test
  void cpuTicksRejectsATruncatedLine() {
    assertThatThrownBy(() -> ProcFiles.cpuTicks("21455 (etcd) S 1 21455"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too few fields");
  }

  @Test
  void peakRssIsTheVmHwmLineInKib() {
    String status =
        "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 9138588 kB\n"
            + "VmSize:\t 9138588 kB\nVmHWM:\t  263984 kB\nVmRSS:\t  250000 kB\nThreads:\t42\n";

    assertThat(ProcFiles.peakRssKib(status)).isEqualTo(263984);
  }

  @Test
  void peakRssWithoutVmHwmIsAnError() {
    assertThatThrownBy(() -> ProcFiles.peakRssKib("Name:\tkthreadd\nState:\tS\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("VmHWM");
  }
}
