package dev.ballot.node;

/**
 * The server's timeouts in the core's ticks. A tick is a fifth of the heartbeat interval, not the
 * whole of it: the election timeout is then drawn from [T, 2T) in steps of a fifth of a heartbeat,
 * so two followers rarely time out together and split the vote, and a candidate that saw its leader
 * go asks again within a fifth of a heartbeat.
 *
 * @param tickMs how long one tick lasts
 * @param electionTicks the election timeout T in ticks
 * @param heartbeatTicks the heartbeat interval in ticks
 */
public record RaftTiming(long tickMs, int electionTicks, int heartbeatTicks) {
  /** Ticks per heartbeat interval. */
  public static final int TICKS_PER_HEARTBEAT = 5;

  public RaftTiming {
    if (tickMs < 1 || heartbeatTicks < 1 || electionTicks <= heartbeatTicks) {
      throw new IllegalArgumentException(
          "tickMs="
              + tickMs
              + " heartbeatTicks="
              + heartbeatTicks
              + " electionTicks="
              + electionTicks);
    }
  }

  /**
   * The ticks for a heartbeat interval and election timeout (the election at least 3 heartbeats).
   */
  public static RaftTiming of(long heartbeatMs, long electionMs) {
    long tickMs = Math.max(1, heartbeatMs / TICKS_PER_HEARTBEAT);
    return new RaftTiming(
        tickMs, Math.toIntExact(electionMs / tickMs), Math.toIntExact(heartbeatMs / tickMs));
  }
}
