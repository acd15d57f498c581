package dev.ballot.client;

import java.util.List;

/**
 * What the leader knows of a lease.
 *
 * @param id the lease
 * @param remainingSeconds seconds until it expires without a keep-alive; -1 if it does not exist
 * @param grantedTtlSeconds the TTL it was granted with (0 if it does not exist)
 * @param keys the keys attached to it, if asked for
 */
public record LeaseInfo(long id, long remainingSeconds, long grantedTtlSeconds, List<byte[]> keys) {
  /**
   * Whether the lease exists.
   *
   * @return false once it expired or was revoked
   */
  public boolean exists() {
    return remainingSeconds >= 0;
  }
}
