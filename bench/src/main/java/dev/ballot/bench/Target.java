package dev.ballot.bench;

/** Which members of the cluster a run sends its requests to. */
public enum Target {
  /** Every endpoint given, round-robin over the connections. */
  ALL,
  /** The member that leads, found with Maintenance.Status. */
  LEADER,
  /** One member that does not lead (the first such endpoint given). */
  FOLLOWER;

  /** The name on the command line and in the JSON result. */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
