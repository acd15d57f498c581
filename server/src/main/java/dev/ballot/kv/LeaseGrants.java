package dev.ballot.kv;

import dev.ballot.etcd.api.LeaseGrantRequest;
import java.util.Random;
import java.util.function.LongPredicate;

/**
 * Turns a client's LeaseGrant into the grant that is proposed, so that every node applies the same
 * lease: the id is chosen here if the client left it 0 (random, positive, not in use), and a TTL
 * below the minimum is raised to it, as etcd's lessor does.
 */
public final class LeaseGrants {
  /** etcd's {@code MaxLeaseTTL}: a larger TTL is refused with "too large lease TTL". */
  public static final long MAX_TTL_SECONDS = 9_000_000_000L;

  /** How many ids a grant draws at most before it gives up on finding a free one. */
  private static final int MAX_ID_DRAWS = 16;

  private final long minTtlSeconds;
  private final Random random;

  /**
   * @param minTtlSeconds the shortest TTL granted (etcd: one and a half election timeouts, rounded
   *     up to a second)
   */
  public LeaseGrants(long minTtlSeconds, Random random) {
    if (minTtlSeconds < 1) {
      throw new IllegalArgumentException("minTtlSeconds=" + minTtlSeconds + " must be positive");
    }
    this.minTtlSeconds = minTtlSeconds;
    this.random = random;
  }

  /** etcd's minimum TTL for an election timeout: 1.5 of it, rounded up to whole seconds. */
  public static long minTtlSeconds(long electionTimeoutMs) {
    return Math.max(1, (3 * electionTimeoutMs / 2 + 999) / 1000);
  }

  /**
   * The grant to propose for {@code request}.
   *
   * @param inUse whether a lease id exists already (a drawn id is drawn again)
   * @throws KvException {@link KvError#LEASE_TTL_TOO_LARGE} above etcd's maximum TTL
   */
  public LeaseGrantRequest prepare(LeaseGrantRequest request, LongPredicate inUse)
      throws KvException {
    if (request.getTTL() > MAX_TTL_SECONDS) {
      throw new KvException(KvError.LEASE_TTL_TOO_LARGE);
    }
    long id = request.getID();
    for (int draw = 0; id == 0 || (request.getID() == 0 && inUse.test(id)); draw++) {
      if (draw == MAX_ID_DRAWS) {
        throw new IllegalStateException("no free lease id in " + MAX_ID_DRAWS + " draws");
      }
      id = random.nextLong() & Long.MAX_VALUE;
    }
    return LeaseGrantRequest.newBuilder()
        .setID(id)
        .setTTL(Math.max(request.getTTL(), minTtlSeconds))
        .build();
  }
}
