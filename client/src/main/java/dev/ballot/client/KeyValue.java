package dev.ballot.client;

import java.util.Arrays;

/**
 * One key with its value and etcd's per-key metadata, as read at some revision.
 *
 * <p>The byte arrays are copied in and out, so a {@code KeyValue} never changes.
 *
 * @param key the key
 * @param value the value; empty when the read was keys-only
 * @param createRevision the cluster revision of the write that created the key
 * @param modRevision the cluster revision of the last write to the key
 * @param version how many times the key was written since it was created (1 after the create)
 * @param lease the lease the key is attached to, 0 for none
 */
public record KeyValue(
    byte[] key, byte[] value, long createRevision, long modRevision, long version, long lease) {

  /**
   * Copies the arrays so that the record stays immutable.
   *
   * @param key see the record description
   * @param value see the record description
   * @param createRevision see the record description
   * @param modRevision see the record description
   * @param version see the record description
   * @param lease see the record description
   */
  public KeyValue {
    key = Bytes.copy(key);
    value = Bytes.copy(value);
  }

  /**
   * Returns a copy of the key.
   *
   * @return the key bytes
   */
  @Override
  public byte[] key() {
    return key.clone();
  }

  /**
   * Returns a copy of the value.
   *
   * @return the value bytes
   */
  @Override
  public byte[] value() {
    return value.clone();
  }

  /**
   * Returns the key decoded as UTF-8.
   *
   * @return the key as text
   */
  public String keyString() {
    return Bytes.utf8(key);
  }

  /**
   * Returns the value decoded as UTF-8.
   *
   * @return the value as text
   */
  public String valueString() {
    return Bytes.utf8(value);
  }

  /** Compares keys and values by content. */
  @Override
  public boolean equals(Object other) {
    return other instanceof KeyValue kv
        && Arrays.equals(key, kv.key)
        && Arrays.equals(value, kv.value)
        && createRevision == kv.createRevision
        && modRevision == kv.modRevision
        && version == kv.version
        && lease == kv.lease;
  }

  /** Hashes keys and values by content. */
  @Override
  public int hashCode() {
    int hash = Arrays.hashCode(key);
    hash = 31 * hash + Arrays.hashCode(value);
    hash = 31 * hash + Long.hashCode(createRevision);
    hash = 31 * hash + Long.hashCode(modRevision);
    hash = 31 * hash + Long.hashCode(version);
    return 31 * hash + Long.hashCode(lease);
  }

  /** Shows key and value as text (or hex when they are not UTF-8) with the revisions. */
  @Override
  public String toString() {
    return "KeyValue[key="
        + Bytes.printable(key)
        + ", value="
        + Bytes.printable(value)
        + ", createRevision="
        + createRevision
        + ", modRevision="
        + modRevision
        + ", version="
        + version
        + ", lease="
        + lease
        + "]";
  }
}
