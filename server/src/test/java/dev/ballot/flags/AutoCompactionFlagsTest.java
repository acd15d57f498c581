package dev.ballot.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ballot.cluster.AutoCompaction;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The auto-compaction flags and the duration flags, read as etcd reads them. */
class AutoCompactionFlagsTest {
  @Test
  void periodicRetentionIsADurationOrABareNumberOfHours() {
    assertThat(AutoCompactionFlags.parse("periodic", "1h").period()).isEqualTo(Duration.ofHours(1));
    assertThat(AutoCompactionFlags.parse("Periodic", "5").period()).isEqualTo(Duration.ofHours(5));
    assertThat(AutoCompactionFlags.parse("periodic", "90s").period())
        .isEqualTo(Duration.ofSeconds(90));
    assertThat(AutoCompactionFlags.parse("periodic", "0").enabled()).isFalse();
    assertThatThrownBy(() -> AutoCompactionFlags.parse("periodic", "1d"))
        .hasMessageContaining("is a duration such as 1h");
  }

  @Test
  void revisionRetentionIsACount() {
    AutoCompaction policy = AutoCompactionFlags.parse("revision", "1000");
    assertThat(policy.mode()).isEqualTo(AutoCompaction.Mode.REVISION);
    assertThat(policy.revisions()).isEqualTo(1000);
    assertThat(AutoCompactionFlags.parse("revision", "0").enabled()).isFalse();
    assertThatThrownBy(() -> AutoCompactionFlags.parse("revision", "1h"))
        .hasMessageContaining("is a number of revisions");
    assertThatThrownBy(() -> AutoCompactionFlags.parse("hourly", "1"))
        .hasMessageContaining("is periodic or revision");
  }

  @Test
  void aDurationFlagNeedsAUnitAndMoreThanZero() {
    DurationConverter converter = new DurationConverter();
    assertThat(converter.convert("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThatThrownBy(() -> converter.convert("10")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> converter.convert("0s")).isInstanceOf(TypeConversionException.class);
  }
}
