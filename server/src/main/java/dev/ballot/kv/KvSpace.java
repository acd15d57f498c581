package dev.ballot.kv;

import dev.ballot.storage.KvFamilies;

/**
 * The key spaces of the store, each ordered bytewise, unsigned: the user's keys (each with its
 * current record), the store's own metadata (applied index, revision, configuration, alarms), the
 * history of changes by revision, and the leases.
 *
 * <p>A snapshot carries two families, the data and the meta family. {@link #EVENTS} and {@link
 * #LEASES} belong to the meta family, each under a one-byte prefix from {@code 0xf1} on; metadata
 * keys (words) start below {@link #META_LIMIT}, and a scan of {@link #META} ends there. So adding a
 * space changes neither the families nor the snapshot format. On a node the events are stored in a
 * RocksDB column family of their own, prefix included ({@link #family}, {@link KvFamilies}). The
 * engines translate keys with {@link #stored}, {@link #storedEnd} and {@link #unstored}; callers
 * only see the keys of their space.
 */
public enum KvSpace {
  DATA(-1),
  META(-1),
  EVENTS(KvFamilies.EVENTS_PREFIX),
  LEASES(0xf2);

  /** Metadata keys start with a byte below this one; the other spaces of the family above it. */
  private static final int META_LIMIT = 0xf0;

  private final int prefix;

  KvSpace(int prefix) {
    this.prefix = prefix;
  }

  /** Where a node stores a space: RocksDB's kv_data, kv_meta or kv_events. */
  public enum Family {
    DATA,
    META,
    EVENTS
  }

  /** The family that stores this space on a node. */
  public Family family() {
    return switch (this) {
      case DATA -> Family.DATA;
      case EVENTS -> Family.EVENTS;
      case META, LEASES -> Family.META;
    };
  }

  /** The key as the family stores it. */
  public byte[] stored(byte[] key) {
    if (this == META && key.length > 0 && (key[0] & 0xff) >= META_LIMIT) {
      throw new IllegalArgumentException("a metadata key must start below 0xf0");
    }
    if (prefix < 0) {
      return key;
    }
    byte[] stored = new byte[key.length + 1];
    stored[0] = (byte) prefix;
    System.arraycopy(key, 0, stored, 1, key.length);
    return stored;
  }

  /** The exclusive end of a scan in the family; {@code to} null means the end of this space. */
  public byte[] storedEnd(byte[] to) {
    if (this == META) {
      byte[] limit = {(byte) META_LIMIT};
      return to == null || KeyRanges.compare(to, limit) > 0 ? limit : to;
    }
    if (prefix < 0) {
      return to;
    }
    return to == null ? new byte[] {(byte) (prefix + 1)} : stored(to);
  }

  /** The key of this space that the family stores as {@code stored}. */
  public byte[] unstored(byte[] stored) {
    if (prefix < 0) {
      return stored;
    }
    byte[] key = new byte[stored.length - 1];
    System.arraycopy(stored, 1, key, 0, key.length);
    return key;
  }
}
