package dev.ballot.cluster;

import java.time.Duration;

/**
 * etcd's {@code --auto-compaction-mode} and {@code --auto-compaction-retention}: keep the history
 * of the last period of time ({@code periodic}, retention a duration such as {@code 1h}, {@code
 * 30m}, {@code 90s}, or a bare number of hours as etcd reads it) or of the last revisions ({@code
 * revision}, retention a count). A retention of 0 keeps all history, etcd's default. The server's
 * flags are read into one by {@code AutoCompactionFlags}.
 */
public record AutoCompaction(Mode mode, Duration period, long revisions) {
  public enum Mode {
    PERIODIC,
    REVISION
  }

  public boolean enabled() {
    return mode == Mode.PERIODIC ? !period.isZero() : revisions > 0;
  }
}
