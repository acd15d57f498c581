package dev.ballot.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delete benchmark on a small load, so that it keeps working: it deletes what it loaded. */
class RangeDeleteBenchTest {
  @Test
  void deletesEveryKeyItLoadedAndCleansUp(@TempDir Path dir) throws Exception {
    // 3,000 keys of about 1.3 KB: several parts of a range delete written in parts.
    RangeDeleteBench.Options options =
        RangeDeleteBench.Options.parse(
            new String[] {
              "--keys",
              "3000",
              "--value-bytes",
              "1024",
              "--runs",
              "1",
              "--pause-ms",
              "0",
              "--dir",
              dir.toString()
            });

    RangeDeleteBench.Run run = RangeDeleteBench.run(options, 1);

    assertThat(run.deleted()).isEqualTo(3000);
    assertThat(run.deleteSeconds()).isPositive();
    assertThat(run.line(1)).startsWith("run=1 keys=3000 ").contains(" deleted=3000");
    assertThat(dir.resolve("run-1")).doesNotExist();
  }

  @Test
  void refusesAnOptionWithoutItsValue() {
    assertThatThrownBy(() -> RangeDeleteBench.Options.parse(new String[] {"--keys"}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--keys needs a value");
  }
}
