package dev.ballot.backup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The Ballot backup file, format version 2. All integers are big-endian.
 *
 * <pre>
 * header   magic "BALLOTBK" (8) | format version u32 | cluster id u64 | revision u64
 *          | applied index u64
 * pairs    repeated: 0x01 | key length u32 | key | value length u32 | value
 * leases   repeated: 0x02 | lease id u64 | granted TTL in seconds u64      (version 2)
 * end      0x00 | pair count u64 | lease count u64 (version 2) | zero bytes up to a multiple
 *          of 512 bytes
 * trailer  SHA-256 (32 bytes) of every byte before it
 * </pre>
 *
 * <p>Keys are the raw etcd keys in ascending byte order; a value is the key's etcd {@code
 * mvccpb.KeyValue} record (create and mod revision, version, lease, value) without its key field.
 * Leases come after every pair, by ascending id (unsigned). Version 1 files, which have no leases,
 * are still read.
 *
 * <p>The trailer is the same 32 bytes etcd appends to its snapshot stream, so the bytes of a {@code
 * Maintenance.Snapshot} stream, concatenated as {@code etcdctl snapshot save} does, are exactly a
 * backup file.
 */
public final class BackupFormat {
  /** The first eight bytes of every backup file. */
  public static final byte[] MAGIC = "BALLOTBK".getBytes(StandardCharsets.US_ASCII);

  /** The version this code writes; it reads this one and {@link #FIRST_VERSION}. */
  public static final int VERSION = 2;

  /** The oldest version this code reads (no leases). */
  public static final int FIRST_VERSION = 1;

  /** Length of the trailer. */
  public static final int DIGEST_BYTES = 32;

  /** The bytes before the trailer are a multiple of this. */
  static final int BODY_ALIGNMENT_BYTES = 512;

  static final int HEADER_BYTES = 8 + 4 + 8 + 8 + 8;
  static final byte PAIR_TAG = 1;
  static final byte LEASE_TAG = 2;
  static final byte END_TAG = 0;

  /** Bounds checked on read, before any allocation they size: etcd's 1.5 MiB request limit. */
  static final int MAX_KEY_BYTES = 2 * 1024 * 1024;

  static final int MAX_VALUE_BYTES = 4 * 1024 * 1024;

  private BackupFormat() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
