package dev.ballot.client;

import dev.ballot.etcd.api.RangeRequest;

/**
 * What a range read asks for: one key, every key with a prefix, or every key from a key on;
 * optionally limited, serializable, keys-only or count-only.
 *
 * <pre>{@code
 * RangeOptions.builder("/jobs/").prefix().limit(100).keysOnly().build()
 * }</pre>
 */
public final class RangeOptions {
  private final byte[] key;
  private final boolean prefix;
  private final boolean fromKey;
  private final long limit;
  private final boolean serializable;
  private final boolean keysOnly;
  private final boolean countOnly;
  private final long revision;

  private RangeOptions(Builder builder) {
    this.revision = builder.revision;
    this.key = builder.key;
    this.prefix = builder.prefix;
    this.fromKey = builder.fromKey;
    this.limit = builder.limit;
    this.serializable = builder.serializable;
    this.keysOnly = builder.keysOnly;
    this.countOnly = builder.countOnly;
  }

  /**
   * Starts options for a read of {@code key} (or of the range it starts).
   *
   * @param key the key, the prefix, or the first key
   * @return a builder
   */
  public static Builder builder(byte[] key) {
    return new Builder(Bytes.copy(key));
  }

  /**
   * Starts options for a read of {@code key} (UTF-8).
   *
   * @param key the key, the prefix, or the first key
   * @return a builder
   */
  public static Builder builder(String key) {
    return new Builder(Bytes.utf8(key));
  }

  /**
   * Returns a copy of the key the read starts at.
   *
   * @return the key bytes
   */
  public byte[] key() {
    return key.clone();
  }

  /**
   * Whether the read covers every key with the key as prefix.
   *
   * @return true for a prefix read
   */
  public boolean prefix() {
    return prefix;
  }

  /**
   * Whether the read covers every key greater than or equal to the key.
   *
   * @return true for a from-key read
   */
  public boolean fromKey() {
    return fromKey;
  }

  /**
   * The most key-values to return, 0 for no limit.
   *
   * @return the limit
   */
  public long limit() {
    return limit;
  }

  /**
   * Whether the read may be served from the answering node's local copy without confirming
   * leadership: faster, possibly stale.
   *
   * @return true for a serializable read
   */
  public boolean serializable() {
    return serializable;
  }

  /**
   * Whether only keys (and metadata) are returned, without values.
   *
   * @return true for a keys-only read
   */
  public boolean keysOnly() {
    return keysOnly;
  }

  /**
   * Whether only the count is returned.
   *
   * @return true for a count-only read
   */
  public boolean countOnly() {
    return countOnly;
  }

  /**
   * The revision read at, 0 for the current one.
   *
   * @return the revision
   */
  public long revision() {
    return revision;
  }

  RangeRequest toRequest() {
    RangeRequest.Builder request =
        RangeRequest.newBuilder()
            .setRevision(revision)
            .setLimit(limit)
            .setSerializable(serializable)
            .setKeysOnly(keysOnly)
            .setCountOnly(countOnly);
    if (prefix) {
      request
          .setKey(Bytes.wrap(Bytes.rangeStart(key)))
          .setRangeEnd(Bytes.wrap(Bytes.prefixEnd(key)));
    } else if (fromKey) {
      request.setKey(Bytes.wrap(Bytes.rangeStart(key))).setRangeEnd(Bytes.wrap(Bytes.fromKeyEnd()));
    } else {
      request.setKey(Bytes.wrap(key));
    }
    return request.build();
  }

  /** Shows the options with the key as text. */
  @Override
  public String toString() {
    return "RangeOptions[key="
        + Bytes.printable(key)
        + (prefix ? ", prefix" : "")
        + (fromKey ? ", fromKey" : "")
        + (limit > 0 ? ", limit=" + limit : "")
        + (serializable ? ", serializable" : "")
        + (keysOnly ? ", keysOnly" : "")
        + (countOnly ? ", countOnly" : "")
        + (revision > 0 ? ", revision=" + revision : "")
        + "]";
  }

  /** Builds {@link RangeOptions}; not thread-safe. */
  public static final class Builder {
    private final byte[] key;
    private boolean prefix;
    private boolean fromKey;
    private long limit;
    private boolean serializable;
    private boolean keysOnly;
    private boolean countOnly;
    private long revision;

    private Builder(byte[] key) {
      this.key = key;
    }

    /**
     * Reads every key that starts with the key.
     *
     * @return this builder
     */
    public Builder prefix() {
      this.prefix = true;
      return this;
    }

    /**
     * Reads every key greater than or equal to the key.
     *
     * @return this builder
     */
    public Builder fromKey() {
      this.fromKey = true;
      return this;
    }

    /**
     * Returns at most {@code limit} key-values ({@link RangeResult#more()} tells whether there were
     * more).
     *
     * @param limit the most key-values to return, 0 for no limit
     * @return this builder
     */
    public Builder limit(long limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("limit must be >= 0, got " + limit);
      }
      this.limit = limit;
      return this;
    }

    /**
     * Lets the answering node serve the read from its local copy (possibly stale).
     *
     * @return this builder
     */
    public Builder serializable() {
      this.serializable = true;
      return this;
    }

    /**
     * Returns keys and metadata without values.
     *
     * @return this builder
     */
    public Builder keysOnly() {
      this.keysOnly = true;
      return this;
    }

    /**
     * Reads the keys as they were at {@code revision} (0: now). A revision before the cluster's
     * last compaction fails with {@link InvalidRequestException} ({@code OUT_OF_RANGE}, etcd's
     * "required revision has been compacted").
     *
     * @param revision the store revision to read at, 0 for the current one
     * @return this builder
     */
    public Builder revision(long revision) {
      if (revision < 0) {
        throw new IllegalArgumentException("revision must be >= 0, got " + revision);
      }
      this.revision = revision;
      return this;
    }

    /**
     * Returns only the number of keys.
     *
     * @return this builder
     */
    public Builder countOnly() {
      this.countOnly = true;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     * @throws IllegalArgumentException when both prefix and fromKey are set
     */
    public RangeOptions build() {
      if (prefix && fromKey) {
        throw new IllegalArgumentException("prefix and fromKey cannot be combined");
      }
      return new RangeOptions(this);
    }
  }
}
