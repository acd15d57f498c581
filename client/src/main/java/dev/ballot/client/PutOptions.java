package dev.ballot.client;

/**
 * Options of a put.
 *
 * @param prevKv whether the result carries the key's previous value ({@link PutResult#prevKv()})
 * @param leaseId the lease to attach the key to, 0 for none
 */
public record PutOptions(boolean prevKv, long leaseId) {

  /** No previous value, no lease. */
  public static final PutOptions DEFAULT = new PutOptions(false, 0);

  /**
   * Returns these options asking for the previous value.
   *
   * @return a copy with {@code prevKv} set
   */
  public PutOptions withPrevKv() {
    return new PutOptions(true, leaseId);
  }

  /**
   * Returns these options attaching the key to a lease.
   *
   * @param leaseId the lease, 0 for none
   * @return a copy with the lease set
   */
  public PutOptions withLease(long leaseId) {
    return new PutOptions(prevKv, leaseId);
  }
}
