package dev.ballot.backup;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Reads a backup file (see {@link BackupFormat}, versions 1 and 2). {@link #verify} checks all of
 * it; {@link #read} verifies first and only then hands out pairs and leases, so a consumer never
 * sees a pair of a damaged file. Memory use is bounded by one pair, whatever the file's size.
 */
public final class BackupReader {
  /** Receives the pairs of a backup in ascending key order. */
  @FunctionalInterface
  public interface PairConsumer {
    /**
     * Takes one pair.
     *
     * @param key the raw key
     * @param value the stored record
     * @throws IOException to stop reading
     */
    void accept(byte[] key, byte[] value) throws IOException;

    /**
     * Takes one lease, after every pair (none in a version 1 file).
     *
     * @param id the lease id
     * @param ttlSeconds the TTL it was granted with
     * @throws IOException to stop reading
     */
    default void lease(long id, long ttlSeconds) throws IOException {}
  }

  /**
   * What a verified backup holds.
   *
   * @param header the header
   * @param pairCount how many pairs follow it
   * @param leaseCount how many leases follow the pairs
   * @param sha256 the trailer
   */
  public record Summary(BackupHeader header, long pairCount, long leaseCount, byte[] sha256) {}

  private BackupReader() {}

  /**
   * Checks the magic, the version, the structure and the SHA-256 trailer of the whole file.
   *
   * @param file the backup
   * @return its header and pair count
   * @throws BackupFormatException if it is not a valid backup, naming what is wrong
   * @throws IOException if the file cannot be read
   */
  public static Summary verify(Path file) throws IOException {
    return scan(file, null);
  }

  /**
   * Verifies the file, then passes every pair to {@code consumer}.
   *
   * @param file the backup
   * @param consumer receives the pairs
   * @return its header and pair count
   * @throws BackupFormatException if it is not a valid backup (no pair was passed on then)
   * @throws IOException if the file cannot be read, or the consumer failed
   */
  public static Summary read(Path file, PairConsumer consumer) throws IOException {
    Summary verified = verify(file);
    Summary read = scan(file, consumer);
    if (!Arrays.equals(verified.sha256(), read.sha256())) {
      throw new BackupFormatException(file + " changed while it was read");
    }
    return read;
  }

  private static Summary scan(Path file, PairConsumer consumer) throws IOException {
    long fileBytes = Files.size(file);
    long bodyBytes = fileBytes - BackupFormat.DIGEST_BYTES;
    if (bodyBytes < BackupFormat.HEADER_BYTES + 9
        || bodyBytes % BackupFormat.BODY_ALIGNMENT_BYTES != 0) {
      throw new BackupFormatException(
          file
              + " is not a Ballot backup: its length "
              + fileBytes
              + " is not 32 more than a multiple of 512");
    }
    MessageDigest digest = BackupFormat.sha256();
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
      BoundedInput body = new BoundedInput(raw, bodyBytes);
      DataInputStream in = new DataInputStream(new DigestInputStream(body, digest));
      BackupHeader header = readHeader(file, in);
      long pairs = 0;
      long leases = 0;
      long lastLease = 0;
      byte[] lastKey = null;
      boolean withLeases = header.formatVersion() >= 2;
      try {
        while (true) {
          byte tag = in.readByte();
          if (tag == BackupFormat.END_TAG) {
            break;
          }
          if (tag == BackupFormat.LEASE_TAG && withLeases) {
            long id = in.readLong();
            long ttl = in.readLong();
            if (id == 0 || ttl <= 0) {
              throw corrupt(file, "lease " + id + " with TTL " + ttl);
            }
            if (leases > 0 && Long.compareUnsigned(lastLease, id) >= 0) {
              throw corrupt(file, "leases out of order at lease " + leases);
            }
            lastLease = id;
            leases++;
            if (consumer != null) {
              consumer.lease(id, ttl);
            }
            continue;
          }
          if (tag != BackupFormat.PAIR_TAG) {
            throw corrupt(file, "unknown record tag " + tag + " after pair " + pairs);
          }
          if (leases > 0) {
            throw corrupt(file, "a pair after the leases");
          }
          byte[] key = readBytes(file, in, 1, BackupFormat.MAX_KEY_BYTES, "key", pairs);
          byte[] value = readBytes(file, in, 0, BackupFormat.MAX_VALUE_BYTES, "value", pairs);
          if (lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
            throw corrupt(file, "keys out of order at pair " + pairs);
          }
          lastKey = key;
          pairs++;
          if (consumer != null) {
            consumer.accept(key, value);
          }
        }
        long count = in.readLong();
        if (count != pairs) {
          throw corrupt(file, "end marker counts " + count + " pairs, the file holds " + pairs);
        }
        long leaseCount = withLeases ? in.readLong() : 0;
        if (leaseCount != leases) {
          throw corrupt(
              file, "end marker counts " + leaseCount + " leases, the file holds " + leases);
        }
      } catch (EOFException e) {
        throw corrupt(file, "truncated after pair " + pairs);
      }
      if (body.remaining() >= BackupFormat.BODY_ALIGNMENT_BYTES) {
        throw corrupt(file, body.remaining() + " unexpected bytes after the end marker");
      }
      for (byte b : in.readNBytes((int) body.remaining())) {
        if (b != 0) {
          throw corrupt(file, "padding after the end marker is not zero");
        }
      }
      byte[] expected = digest.digest();
      byte[] trailer = raw.readNBytes(BackupFormat.DIGEST_BYTES);
      if (!Arrays.equals(expected, trailer)) {
        throw corrupt(file, "SHA-256 mismatch: the file is damaged");
      }
      return new Summary(header, pairs, leases, trailer);
    }
  }

  private static BackupHeader readHeader(Path file, DataInputStream in) throws IOException {
    byte[] magic = in.readNBytes(BackupFormat.MAGIC.length);
    if (!Arrays.equals(magic, BackupFormat.MAGIC)) {
      throw new BackupFormatException(file + " is not a Ballot backup (wrong magic)");
    }
    int version = in.readInt();
    if (version < BackupFormat.FIRST_VERSION || version > BackupFormat.VERSION) {
      throw new BackupFormatException(
          file
              + " has backup format version "
              + version
              + "; this build reads versions "
              + BackupFormat.FIRST_VERSION
              + " to "
              + BackupFormat.VERSION);
    }
    long clusterId = in.readLong();
    long revision = in.readLong();
    long appliedIndex = in.readLong();
    try {
      return new BackupHeader(version, clusterId, revision, appliedIndex);
    } catch (IllegalArgumentException e) {
      throw corrupt(file, "bad header: " + e.getMessage());
    }
  }

  private static byte[] readBytes(
      Path file, DataInputStream in, int min, int max, String what, long pair) throws IOException {
    int length = in.readInt();
    if (length < min || length > max) {
      throw corrupt(file, what + " length " + length + " at pair " + pair);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  private static BackupFormatException corrupt(Path file, String why) {
    return new BackupFormatException(file + " is corrupt: " + why);
  }

  /** The body: ends where the trailer starts, so the digest covers exactly the body. */
  private static final class BoundedInput extends InputStream {
    private final InputStream in;
    private long remaining;

    BoundedInput(InputStream in, long bytes) {
      this.in = in;
      this.remaining = bytes;
    }

    long remaining() {
      return remaining;
    }

    @Override
    public int read() throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        remaining--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }
  }
}
