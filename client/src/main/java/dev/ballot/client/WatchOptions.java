package dev.ballot.client;

import dev.ballot.etcd.api.WatchCreateRequest;
import java.util.Arrays;

/**
 * What a watch follows: one key, every key with a prefix, every key from a key on, or the keys in
 * {@code [key, rangeEnd)}; from which revision; and which events it wants.
 *
 * <pre>{@code
 * WatchOptions.builder("/jobs/").prefix().startRevision(42).prevKv().build()
 * }</pre>
 */
public final class WatchOptions {
  private final byte[] key;
  private final byte[] rangeEnd;
  private final boolean prefix;
  private final boolean fromKey;
  private final long startRevision;
  private final boolean prevKv;
  private final boolean noPut;
  private final boolean noDelete;
  private final boolean progressNotify;

  private WatchOptions(Builder builder) {
    this.key = builder.key;
    this.rangeEnd = builder.rangeEnd;
    this.prefix = builder.prefix;
    this.fromKey = builder.fromKey;
    this.startRevision = builder.startRevision;
    this.prevKv = builder.prevKv;
    this.noPut = builder.noPut;
    this.noDelete = builder.noDelete;
    this.progressNotify = builder.progressNotify;
  }

  /**
   * Starts options for a watch of {@code key} (or of the range it starts).
   *
   * @param key the key, the prefix, or the first key
   * @return a builder
   */
  public static Builder builder(byte[] key) {
    return new Builder(Bytes.copy(key));
  }

  /**
   * Starts options for a watch of {@code key} (UTF-8).
   *
   * @param key the key, the prefix, or the first key
   * @return a builder
   */
  public static Builder builder(String key) {
    return new Builder(Bytes.utf8(key));
  }

  /**
   * Returns a copy of the key the watch starts at.
   *
   * @return the key bytes
   */
  public byte[] key() {
    return key.clone();
  }

  /**
   * The revision of the first event wanted; 0 for "events after the watch is created".
   *
   * @return the start revision
   */
  public long startRevision() {
    return startRevision;
  }

  /**
   * Whether each event carries the key-value as it was before the event.
   *
   * @return true when previous key-values are asked for
   */
  public boolean prevKv() {
    return prevKv;
  }

  /**
   * The create request for a watch that resumes at {@code fromRevision} (0: this watch's own
   * start).
   */
  WatchCreateRequest toCreateRequest(long fromRevision) {
    WatchCreateRequest.Builder request =
        WatchCreateRequest.newBuilder()
            .setStartRevision(fromRevision > 0 ? fromRevision : startRevision)
            .setPrevKv(prevKv)
            .setProgressNotify(progressNotify);
    if (noPut) {
      request.addFilters(WatchCreateRequest.FilterType.NOPUT);
    }
    if (noDelete) {
      request.addFilters(WatchCreateRequest.FilterType.NODELETE);
    }
    if (prefix) {
      request
          .setKey(Bytes.wrap(Bytes.rangeStart(key)))
          .setRangeEnd(Bytes.wrap(Bytes.prefixEnd(key)));
    } else if (fromKey) {
      request.setKey(Bytes.wrap(Bytes.rangeStart(key))).setRangeEnd(Bytes.wrap(Bytes.fromKeyEnd()));
    } else if (rangeEnd != null) {
      request.setKey(Bytes.wrap(key)).setRangeEnd(Bytes.wrap(rangeEnd));
    } else {
      request.setKey(Bytes.wrap(key));
    }
    return request.build();
  }

  /** Shows the options with the keys as text. */
  @Override
  public String toString() {
    return "WatchOptions[key="
        + Bytes.printable(key)
        + (prefix ? ", prefix" : "")
        + (fromKey ? ", fromKey" : "")
        + (rangeEnd != null ? ", rangeEnd=" + Bytes.printable(rangeEnd) : "")
        + (startRevision > 0 ? ", startRevision=" + startRevision : "")
        + (prevKv ? ", prevKv" : "")
        + (noPut ? ", noPut" : "")
        + (noDelete ? ", noDelete" : "")
        + (progressNotify ? ", progressNotify" : "")
        + "]";
  }

  /** Builds {@link WatchOptions}; not thread-safe. */
  public static final class Builder {
    private final byte[] key;
    private byte[] rangeEnd;
    private boolean prefix;
    private boolean fromKey;
    private long startRevision;
    private boolean prevKv;
    private boolean noPut;
    private boolean noDelete;
    private boolean progressNotify;

    private Builder(byte[] key) {
      this.key = key;
    }

    /**
     * Watches every key that starts with the key; the empty key watches every key.
     *
     * @return this builder
     */
    public Builder prefix() {
      this.prefix = true;
      return this;
    }

    /**
     * Watches every key greater than or equal to the key.
     *
     * @return this builder
     */
    public Builder fromKey() {
      this.fromKey = true;
      return this;
    }

    /**
     * Watches the keys in {@code [key, rangeEnd)}.
     *
     * @param rangeEnd the first key not watched; greater than the key
     * @return this builder
     */
    public Builder rangeEnd(byte[] rangeEnd) {
      this.rangeEnd = Bytes.copy(rangeEnd);
      return this;
    }

    /**
     * Delivers history from {@code revision} on (events at {@code revision} included), then new
     * events. 0, the default, delivers only events after the watch is created. A revision that was
     * compacted away ends the watch with {@link WatchListener#onCompacted}.
     *
     * @param revision the first revision wanted, or 0
     * @return this builder
     */
    public Builder startRevision(long revision) {
      if (revision < 0) {
        throw new IllegalArgumentException("startRevision must be >= 0, got " + revision);
      }
      this.startRevision = revision;
      return this;
    }

    /**
     * Gives each event the key-value as it was before the event, when it existed.
     *
     * @return this builder
     */
    public Builder prevKv() {
      this.prevKv = true;
      return this;
    }

    /**
     * Leaves out puts.
     *
     * @return this builder
     */
    public Builder noPut() {
      this.noPut = true;
      return this;
    }

    /**
     * Leaves out deletes.
     *
     * @return this builder
     */
    public Builder noDelete() {
      this.noDelete = true;
      return this;
    }

    /**
     * Asks the server to tell, now and then while nothing happens, up to which revision the watch
     * has seen everything ({@link WatchListener#onProgress}).
     *
     * @return this builder
     */
    public Builder progressNotify() {
      this.progressNotify = true;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     * @throws IllegalArgumentException when more than one of prefix, fromKey and rangeEnd is set,
     *     or rangeEnd is not after the key
     */
    public WatchOptions build() {
      int ranges = (prefix ? 1 : 0) + (fromKey ? 1 : 0) + (rangeEnd != null ? 1 : 0);
      if (ranges > 1) {
        throw new IllegalArgumentException("prefix, fromKey and rangeEnd exclude each other");
      }
      if (rangeEnd != null && Arrays.compareUnsigned(rangeEnd, key) <= 0) {
        throw new IllegalArgumentException(
            "rangeEnd "
                + Bytes.printable(rangeEnd)
                + " must be greater than the key "
                + Bytes.printable(key));
      }
      return new WatchOptions(this);
    }
  }
}
