package dev.ballot.bench;

/**
 * What one endpoint said about itself in Maintenance.Status.
 *
 * @param endpoint host:port
 * @param memberId the member that answered (header.member_id)
 * @param leaderId the member it believes leads (0: none known)
 */
public record EndpointStatus(String endpoint, long memberId, long leaderId) {
  /** Whether the member that answered is the leader it names. */
  public boolean leads() {
    return leaderId != 0 && memberId == leaderId;
  }
}
