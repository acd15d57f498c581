package dev.ballot.backup;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Writes a backup file (see {@link BackupFormat}) to a stream: the header at once, then one {@link
 * #add} per pair in ascending key order, one {@link #lease} per lease in ascending id order, then
 * {@link #finish}. Not thread-safe.
 */
public final class BackupWriter {
  private final OutputStream target;
  private final MessageDigest digest = BackupFormat.sha256();
  private final DataOutputStream out;
  private byte[] lastKey;
  private long pairCount;
  private long leaseCount;
  private long lastLeaseId;
  private long bodyBytes = BackupFormat.HEADER_BYTES; // DataOutputStream.size() stops at 2 GiB
  private boolean finished;

  /**
   * Starts a backup on {@code target} (not closed by the writer) and writes its header.
   *
   * @param target where the bytes go
   * @param header the cluster id, revision and applied index of the state written
   * @throws IOException if writing fails
   */
  public BackupWriter(OutputStream target, BackupHeader header) throws IOException {
    if (header.formatVersion() != BackupFormat.VERSION) {
      throw new IllegalArgumentException("this build writes format " + BackupFormat.VERSION);
    }
    this.target = target;
    this.out =
        new DataOutputStream(new DigestOutputStream(new BufferedOutputStream(target), digest));
    out.write(BackupFormat.MAGIC);
    out.writeInt(BackupFormat.VERSION);
    out.writeLong(header.clusterId());
    out.writeLong(header.revision());
    out.writeLong(header.appliedIndex());
  }

  /**
   * Adds one pair; keys must come in strictly ascending unsigned byte order.
   *
   * @param key the raw key
   * @param value the stored record of the key (see {@link BackupFormat})
   * @throws IOException if writing fails
   */
  public void add(byte[] key, byte[] value) throws IOException {
    if (finished) {
      throw new IllegalStateException("backup already finished");
    }
    if (key.length == 0 || key.length > BackupFormat.MAX_KEY_BYTES) {
      throw new IllegalArgumentException("key of " + key.length + " bytes");
    }
    if (value.length > BackupFormat.MAX_VALUE_BYTES) {
      throw new IllegalArgumentException("value of " + value.length + " bytes");
    }
    if (lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
      throw new IllegalArgumentException("keys out of order after pair " + pairCount);
    }
    if (leaseCount > 0) {
      throw new IllegalStateException("pairs come before the leases");
    }
    out.writeByte(BackupFormat.PAIR_TAG);
    out.writeInt(key.length);
    out.write(key);
    out.writeInt(value.length);
    out.write(value);
    lastKey = key;
    pairCount++;
    bodyBytes += 1 + Integer.BYTES + key.length + Integer.BYTES + value.length;
  }

  /**
   * Adds one lease, after every pair; ids must come in strictly ascending unsigned order.
   *
   * @param id the lease id (not 0)
   * @param ttlSeconds the TTL it was granted with (positive)
   * @throws IOException if writing fails
   */
  public void lease(long id, long ttlSeconds) throws IOException {
    if (finished) {
      throw new IllegalStateException("backup already finished");
    }
    if (id == 0 || ttlSeconds <= 0) {
      throw new IllegalArgumentException("lease " + id + " with TTL " + ttlSeconds);
    }
    if (leaseCount > 0 && Long.compareUnsigned(lastLeaseId, id) >= 0) {
      throw new IllegalArgumentException("leases out of order after lease " + leaseCount);
    }
    out.writeByte(BackupFormat.LEASE_TAG);
    out.writeLong(id);
    out.writeLong(ttlSeconds);
    lastLeaseId = id;
    leaseCount++;
    bodyBytes += 1 + 2 * Long.BYTES;
  }

  /**
   * Writes the end marker and the SHA-256 trailer, and flushes.
   *
   * @return the number of pairs written
   * @throws IOException if writing fails
   */
  public long finish() throws IOException {
    if (finished) {
      throw new IllegalStateException("backup already finished");
    }
    finished = true;
    out.writeByte(BackupFormat.END_TAG);
    out.writeLong(pairCount);
    out.writeLong(leaseCount);
    bodyBytes += 1 + 2 * Long.BYTES;
    int tail = (int) (bodyBytes % BackupFormat.BODY_ALIGNMENT_BYTES);
    if (tail != 0) {
      out.write(new byte[BackupFormat.BODY_ALIGNMENT_BYTES - tail]);
    }
    out.flush();
    target.write(digest.digest());
    target.flush();
    return pairCount;
  }
}
